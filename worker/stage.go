// Package worker runs the wash: a pipeline of stages over batches of rows,
// and the Asynq handlers that start it.
package worker

import (
	"context"
	"time"

	"github.com/listwash/listwash/formats"
)

// Batch is a slice of consecutive records of one file and the rows washed
// from them: Rows[i] belongs to Records[i], and len(Rows) == len(Records).
// Batches are recycled: a stage must not keep references into one after
// Process returns.
type Batch struct {
	Seq     int64 // position of the batch in the file, from 0
	Records []formats.Record
	Rows    []formats.Row

	cells []string // arena for Records[i].Fields
	// frame holds frameRows spilled rows not decoded yet (the writing
	// pass), S2-compressed if packed (packFrame).
	frame     []byte
	frameRows int
	packed    bool
	enc       []byte   // the rows encoded as a frame (chunks), reused
	raw       []byte   // the rows encoded, before packing (chunks), reused
	recs      []byte   // the rows' dedup state, encoded (chunks), reused
	parts     [][]byte // recs split by dedup partition (chunks of a partitioned run), reused
}

// Stage marks rows in place. A bad row is data: mark it (reason code) and
// return nil. Return an error only when the stage cannot work at all; that
// fails the run.
//
// Process may be called from several goroutines at once with different
// batches, unless the stage implements Ordered.
type Stage interface {
	Name() string
	Process(ctx context.Context, b *Batch) error
}

// Ordered is implemented by stages that need every batch exactly once, in
// file order, from one goroutine (deduplication: "the first row of each
// person is kept").
type Ordered interface {
	Stage
	Ordered()
}

// Planner is implemented by stages that must see the whole delivery before
// they can mark any row (dedup survivorship: "most complete, then earliest
// line"). The runner makes two passes over the input: in the first it runs
// the stages before the planner and calls Observe with every batch, in file
// order, from one goroutine; then Plan once; in the second pass Process is
// called like any parallel stage's and applies the plan.
type Planner interface {
	Stage
	Observe(ctx context.Context, b *Batch) error
	Plan(ctx context.Context) error
}

// StageFunc adapts a function to a parallel Stage.
type StageFunc struct {
	StageName string
	Fn        func(ctx context.Context, b *Batch) error
}

func (s StageFunc) Name() string                                { return s.StageName }
func (s StageFunc) Process(ctx context.Context, b *Batch) error { return s.Fn(ctx, b) }

// Env is what every stage may know about the run. It holds no personal data.
type Env struct {
	RunID          string
	Supplier       string
	Company        string    // the company the list is washed for (NIX consents)
	AsOf           time.Time // the date rules are judged at (consent age, NIX validity)
	DefaultCountry string    // ISO 3166 alpha-2, "SE" unless a profile says otherwise
	SourceFile     string
}
