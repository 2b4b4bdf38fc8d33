package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/listwash/listwash/formats"
)

// DefaultBatchSize is the number of records a batch holds: large enough to
// amortise channel hand-offs, small enough to keep memory flat.
const DefaultBatchSize = 4096

// Counters are updated while a pass runs, for progress display. Read them
// with atomic loads from another goroutine.
type Counters struct {
	Records   atomic.Int64 // records read (data rows, rejected included)
	BytesRead atomic.Int64 // bytes consumed of the raw input
	Pass      atomic.Int32 // 1 or 2 when the wash reads the input twice
}

// SinkFunc receives every finished batch, from one of `workers` goroutines
// (worker is its index, for per-goroutine state such as a Parquet writer).
type SinkFunc func(ctx context.Context, worker int, b *Batch) error

// pass is one run of stages over a reader, or over a source of batches
// (the spilled rows of a planned wash) when source is set.
type pass struct {
	reader    formats.Reader
	source    batchSource
	stages    []Stage
	sink      SinkFunc
	workers   int
	batchSize int
	counters  *Counters
}

// split divides stages into a parallel head, an ordered middle and a
// parallel tail. At most one contiguous run of Ordered stages is allowed.
func split(stages []Stage) (head, mid, tail []Stage, err error) {
	i := 0
	for i < len(stages) && !isOrdered(stages[i]) {
		i++
	}
	j := i
	for j < len(stages) && isOrdered(stages[j]) {
		j++
	}
	for _, s := range stages[j:] {
		if isOrdered(s) {
			return nil, nil, nil, fmt.Errorf("stage %s: ordered stages must be contiguous", s.Name())
		}
	}
	return stages[:i], stages[i:j], stages[j:], nil
}

func isOrdered(s Stage) bool { _, ok := s.(Ordered); return ok }

// run streams the whole input through the stages. It returns the first
// error of any stage or of the reader; a panic in a stage becomes an error.
// The number of batches in flight is bounded, so memory does not grow with
// the file.
func (p *pass) run(ctx context.Context) error {
	if p.workers <= 0 {
		p.workers = runtime.GOMAXPROCS(0)
	}
	if p.batchSize <= 0 {
		p.batchSize = DefaultBatchSize
	}
	if p.counters == nil {
		p.counters = &Counters{}
	}
	head, mid, tail, err := split(p.stages)
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)

	inFlight := 2*p.workers + 2
	free := make(chan *Batch, inFlight)
	for range inFlight {
		free <- newBatch(p.batchSize)
	}
	work := make(chan *Batch, p.workers)
	g.Go(func() error {
		defer close(work)
		return p.read(ctx, free, work)
	})

	// Without an ordered segment, head and tail run in one worker pool.
	toTail, tailHead := work, head
	if len(mid) > 0 {
		ordered := make(chan *Batch, p.workers)
		toTail = make(chan *Batch, p.workers)
		var headDone atomic.Int32
		for range p.workers {
			g.Go(func() error {
				defer func() {
					if int(headDone.Add(1)) == p.workers {
						close(ordered)
					}
				}()
				for b := range work {
					if err := runStages(ctx, head, b); err != nil {
						return err
					}
					if err := send(ctx, ordered, b); err != nil {
						return err
					}
				}
				return nil
			})
		}
		out := toTail
		g.Go(func() error {
			defer close(out)
			return reorder(ctx, ordered, out, mid)
		})
		tailHead = nil
	}
	for w := range p.workers {
		g.Go(func() error {
			for b := range toTail {
				if err := runStages(ctx, tailHead, b); err != nil {
					return err
				}
				if err := runStages(ctx, tail, b); err != nil {
					return err
				}
				if err := p.sink(ctx, w, b); err != nil {
					return err
				}
				free <- b // never blocks: free holds every batch
			}
			return nil
		})
	}
	return g.Wait()
}

// batchSource fills batches other than from a formats.Reader.
type batchSource interface {
	// next fills b, already reset to its sequence number, and returns how
	// many records it holds; io.EOF when there are no more.
	next(b *Batch) (int, error)
	// bytesRead is the progress in bytes of the input.
	bytesRead() int64
}

// read fills batches from the reader (or source) and sends them on. It
// owns the free list's receive side.
func (p *pass) read(ctx context.Context, free <-chan *Batch, work chan<- *Batch) error {
	var seq int64
	var rec formats.Record
	for {
		var b *Batch
		select {
		case b = <-free:
		case <-ctx.Done():
			return ctx.Err()
		}
		b.reset(seq)
		var rerr error
		n := 0
		if p.source != nil {
			n, rerr = p.source.next(b)
			p.counters.BytesRead.Store(p.source.bytesRead())
		} else {
			for len(b.Records) < p.batchSize {
				rec.Reject, rec.Message, rec.Repair, rec.Raw = "", "", "", ""
				if rerr = p.reader.Read(&rec); rerr != nil {
					break
				}
				b.add(&rec)
			}
			n = len(b.Records)
			p.counters.BytesRead.Store(p.reader.BytesRead())
		}
		if n > 0 {
			p.counters.Records.Add(int64(n))
			if err := send(ctx, work, b); err != nil {
				return err
			}
			seq++
		}
		if errors.Is(rerr, io.EOF) {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// reorder runs the ordered stages on batches in Seq order.
func reorder(ctx context.Context, in <-chan *Batch, out chan<- *Batch, stages []Stage) error {
	pending := map[int64]*Batch{}
	var next int64
	for b := range in {
		pending[b.Seq] = b
		for {
			nb, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if err := runStages(ctx, stages, nb); err != nil {
				return err
			}
			if err := send(ctx, out, nb); err != nil {
				return err
			}
		}
	}
	if len(pending) > 0 && ctx.Err() == nil {
		return fmt.Errorf("pipeline: %d batches lost before batch %d", len(pending), next)
	}
	return nil
}

func send(ctx context.Context, ch chan<- *Batch, b *Batch) error {
	select {
	case ch <- b:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runStages runs stages on b in order, turning a panic into an error so one
// bad batch cannot take down the worker process and every job in it.
func runStages(ctx context.Context, stages []Stage, b *Batch) (err error) {
	var current Stage
	defer func() {
		if r := recover(); r != nil {
			err = &StageError{Stage: current.Name(), FirstLine: b.firstLine(), LastLine: b.lastLine(),
				Err: fmt.Errorf("panic: %v", r)}
		}
	}()
	for _, s := range stages {
		if err := ctx.Err(); err != nil {
			return err
		}
		current = s
		if err := s.Process(ctx, b); err != nil {
			return &StageError{Stage: s.Name(), FirstLine: b.firstLine(), LastLine: b.lastLine(), Err: err}
		}
	}
	return nil
}

// StageError says which stage failed on which lines of the input.
type StageError struct {
	Stage               string
	FirstLine, LastLine int64
	Err                 error
}

func (e *StageError) Error() string {
	return fmt.Sprintf("stage %s (lines %d-%d): %v", e.Stage, e.FirstLine, e.LastLine, e.Err)
}

func (e *StageError) Unwrap() error { return e.Err }

func newBatch(size int) *Batch {
	return &Batch{
		Records: make([]formats.Record, 0, size),
		Rows:    make([]formats.Row, 0, size),
		cells:   make([]string, 0, size*12),
	}
}

func (b *Batch) reset(seq int64) {
	b.Seq = seq
	b.frame, b.frameRows, b.packed = nil, 0, false
	b.Records = b.Records[:0]
	b.Rows = b.Rows[:0]
	b.cells = b.cells[:0]
}

// add copies rec into the batch. The reader may reuse rec.Fields, so the
// cell headers are copied into the batch's own arena (the strings
// themselves are immutable and shared).
func (b *Batch) add(rec *formats.Record) {
	start := len(b.cells)
	b.cells = append(b.cells, rec.Fields...)
	r := *rec
	r.Fields = b.cells[start:len(b.cells):len(b.cells)]
	b.Records = append(b.Records, r)
	if n := len(b.Rows); n < cap(b.Rows) {
		b.Rows = b.Rows[:n+1]
		b.Rows[n].Reset() // keeps the slices' capacity from earlier use
	} else {
		b.Rows = append(b.Rows, formats.Row{})
	}
}

// Len is the number of records (and rows) in the batch.
func (b *Batch) Len() int { return len(b.Records) }

func (b *Batch) firstLine() int64 {
	if len(b.Records) == 0 {
		return 0
	}
	return b.Records[0].Line
}

func (b *Batch) lastLine() int64 {
	if len(b.Records) == 0 {
		return 0
	}
	return b.Records[len(b.Records)-1].Line
}
