// Package jobs is the wire contract of the distributed runtime: task type
// names, payload structs, their default options and deterministic task
// IDs. Payloads carry references only (store URL, key, version, run id,
// options), never rows or personal data: they sit in Redis and show in
// the queue UI. Golden JSON in testdata/jobs pins the format.
package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"
)

// Task type names.
const (
	TypeWashFile   = "wash:file"   // wash one supplier file, or split it into chunks
	TypeWashChunk  = "wash:chunk"  // wash one byte range of a large file
	TypeWashMatch  = "wash:match"  // compare the rows of one dedup partition of a chunked run
	TypeWashMerge  = "wash:merge"  // deduplicate the chunks of a run: one plan for the delivery
	TypeWashApply  = "wash:apply"  // write one chunk's final output from the merge's plan
	TypeWashCommit = "wash:commit" // check the applied chunks, score the run and commit it
)

// Queue names. Merges and commits are short and finish runs, so they go
// first; small files go to default; large files, their chunks and their
// applies go to bulk, so one huge delivery cannot starve the small ones.
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
	QueueBulk     = "bulk"
)

// Queues returns the weights for asynq.Config.Queues (weighted, not
// strict priority: bulk still gets a share while default is busy).
func Queues() map[string]int {
	return map[string]int{QueueCritical: 6, QueueDefault: 3, QueueBulk: 1}
}

// BulkBytes is the input size from which a wash:file task goes to the bulk
// queue.
const BulkBytes = 64 << 20

// Default timeouts and retry counts per task type. Asynq's own default
// timeout is 30 minutes; these are explicit so a stuck task is noticed.
const (
	WashFileTimeout    = 15 * time.Minute
	WashChunkTimeout   = 10 * time.Minute
	WashMergeTimeout   = 10 * time.Minute
	WashMatchTimeout   = 10 * time.Minute
	WashMatchMaxRetry  = 5
	WashFileMaxRetry   = 5
	WashChunkMaxRetry  = 5
	WashMergeMaxRetry  = 10
	WashApplyTimeout   = 10 * time.Minute
	WashApplyMaxRetry  = 5
	WashCommitTimeout  = 5 * time.Minute
	WashCommitMaxRetry = 10
)

// ErrInvalidPayload is returned by the Parse and New functions for a
// payload that is malformed or misses a required field. A handler turns it
// into asynq.SkipRetry: retrying cannot fix it.
var ErrInvalidPayload = errors.New("invalid task payload")

// TaskID returns the deterministic ID of the task for one object version:
// the same file version enqueued twice (a notification and a rescan) is
// rejected by Asynq with ErrTaskIDConflict while the first is queued or
// retained. bucket is the store URL or bucket name, version the ETag or
// version id. The ID is a hash, so it shows no file names.
func TaskID(bucket, key, version string) string {
	return hashID(bucket, key, version)
}

// hashID hashes its parts, NUL-separated (NUL occurs in no URL, key or
// ETag), into 32 hex digits (128 bits).
func hashID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
