// Package infra holds the adapters to the outside world: object stores (a
// local folder, S3-compatible servers), Redis/Asynq, configuration and
// metrics. It imports nothing else of listwash.
package infra

import (
	"context"
	"io"
	"io/fs"
	"iter"
	"time"
)

// Sentinel errors that callers branch on. Providers map their own errors to
// these. They are the standard library's, so code that must not import infra
// (worker) can test for them with errors.Is(err, fs.ErrNotExist).
var (
	ErrNotFound = fs.ErrNotExist
	ErrExists   = fs.ErrExist
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
	// ListKeys returns the keys under prefix, in key order: List without
	// infra's types, for consumers that declare their own interface.
	ListKeys(ctx context.Context, prefix string) ([]string, error)
	// Size returns the object's size in bytes or ErrNotFound.
	Size(ctx context.Context, key string) (int64, error)
}

// Store is a flat key space of objects, rooted at a prefix: a local folder
// or a bucket prefix. Keys use "/" as separator.
type Store interface {
	BucketReader
	// Create returns a writer for key. The object exists only once Close
	// returned nil (go-cloud's contract); on error nothing is left behind.
	// The writer also implements Aborter, to discard the write.
	Create(ctx context.Context, key string) (io.WriteCloser, error)
	// PutIfAbsent writes data at key only if no object exists there;
	// otherwise it returns ErrExists. This is the commit primitive.
	PutIfAbsent(ctx context.Context, key string, data []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// URL names the store root for messages ("file:///..." or "s3://...").
	URL() string
}

// Aborter is implemented by the writers Create returns: Abort discards what
// was written. Safe after Close (then a no-op).
type Aborter interface {
	Abort() error
}
