// Package infra holds the adapters to the outside world: object stores (a
// local folder, S3-compatible servers), Redis/Asynq, configuration and
// metrics. It imports nothing else of listwash.
package infra

import (
	"context"
	"errors"
	"io"
	"iter"
	"time"
)

// Sentinel errors that callers branch on. Providers map their own errors to
// these.
var (
	ErrNotFound = errors.New("object not found")
	ErrExists   = errors.New("object already exists")
)

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	Key      string // relative to the store's root
	Size     int64
	ETag     string // provider's version tag; content hash for the local store
	Modified time.Time
}

// BucketReader is the read-only half of a store. Code that only reads takes
// this, not the full Store.
type BucketReader interface {
	// Open streams an object from the start.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// OpenRange streams length bytes from offset (length < 0: to the end).
	OpenRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
	// Stat returns the object's info or ErrNotFound.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// List yields every object whose key starts with prefix, in key order.
	List(ctx context.Context, prefix string) iter.Seq2[ObjectInfo, error]
}

// Store is a flat key space of objects, rooted at a prefix: a local folder
// or a bucket prefix. Keys use "/" as separator.
type Store interface {
	BucketReader
	// Create returns a writer for key. The object exists only once Close
	// returned nil (go-cloud's contract); on error nothing is left behind.
	// Abort discards the write.
	Create(ctx context.Context, key string) (Writer, error)
	// PutIfAbsent writes data at key only if no object exists there;
	// otherwise it returns ErrExists. This is the commit primitive.
	PutIfAbsent(ctx context.Context, key string, data []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// URL names the store root for messages ("file:///..." or "s3://...").
	URL() string
}

// Writer is an object being written.
type Writer interface {
	io.Writer
	// Close commits the object; its error is part of success.
	Close() error
	// Abort discards what was written. Safe after Close (then a no-op).
	Abort() error
}
