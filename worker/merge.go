package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/errgroup"

	"github.com/listwash/listwash/formats"
)

// ErrChunksMissing: a merge ran before every chunk was done (retried).
var ErrChunksMissing = errors.New("not every chunk is done yet")

// MergeWash finishes a chunked run: it reads the chunks' rows in file
// order, deduplicates them over the whole delivery (Observe every row,
// Plan, then apply), suppresses, decides, and writes and commits the
// output exactly as Wash does. cfg.Out is the run's output folder, which
// also holds the plan's chunks; cfg.In, cfg.InKey and cfg.Open are not
// used. unmapped are the header's unmapped columns, for the scorecard.
func MergeWash(ctx context.Context, cfg WashConfig, plan *ChunkPlan, unmapped []string) (res *Result, err error) {
	r, err := newRun(cfg)
	if err != nil {
		return nil, err
	}
	defer r.rs.close()
	cfg, log := r.cfg, r.log
	started := time.Now()
	if err := prepareOut(ctx, cfg.Out, cfg.Force); err != nil {
		return nil, err
	}
	done, complete, err := ChunksDone(ctx, cfg.Out, plan)
	if err != nil {
		return nil, err
	}
	if !complete {
		return nil, fmt.Errorf("merge: %d of %d chunks done: %w", len(done), len(plan.Chunks), ErrChunksMissing)
	}
	log.Info("merge started", "chunks", len(done), "records", plan.Records, "workers", cfg.Workers)
	defer func() {
		if err != nil {
			r.out.cleanup()
			log.Info("merge failed, partial output removed", "error", err)
		}
	}()

	src, err := openChunks(ctx, cfg.Out, done)
	if err != nil {
		return nil, err
	}
	defer src.close()

	stages, err := r.mergeStages(ctx)
	if err != nil {
		return nil, err
	}
	if pl, idx := findPlanner(stages); pl != nil {
		if idx != 0 {
			return nil, fmt.Errorf("merge: stage %s before the planner", stages[0].Name())
		}
		cfg.Counters.Pass.Store(1)
		if err := src.each(ctx, cfg.Batch, func(b *Batch) error { return pl.Observe(ctx, b) }); err != nil {
			return nil, err
		}
		if err := pl.Plan(ctx); err != nil {
			return nil, fmt.Errorf("stage %s: plan: %w", pl.Name(), err)
		}
		log.Info("dedup planned", "seconds", time.Since(started).Seconds())
		cfg.Counters.Pass.Store(2)
	}
	input := InputInfo{Name: cfg.InKey, Size: plan.Size, Read: plan.Info}
	return r.commit(ctx, started, input, unmapped, func(ctx context.Context, sink SinkFunc) (string, error) {
		if err := src.run(ctx, stages, sink, cfg.Workers, cfg.Batch, cfg.Counters); err != nil {
			return "", err
		}
		return plan.SHA256, nil
	})
}

// mergeStages are the Setup's stages after normalisation (the chunks ran
// parse and normalise): dedup, suppress, decide, in the embedded order.
func (r *run) mergeStages(ctx context.Context) ([]Stage, error) {
	var stages []Stage
	var err error
	if r.cfg.Stages != nil {
		stages, err = r.cfg.Stages(r.cfg.Env, formats.Mapping{})
	} else {
		stages, err = r.cfg.Setup.stages(ctx, r.cfg.Env, formats.Mapping{}, r.rs)
	}
	if err != nil {
		return nil, err
	}
	if len(stages) == 0 || stages[0].Name() != "normalise" {
		return nil, errors.New("merge: the stages do not start with normalise")
	}
	stages = stages[1:]
	if r.cfg.Timer != nil {
		stages = r.cfg.Timer.WrapAll(stages)
	}
	return stages, nil
}

// chunkSource reads the chunks' rows in file order.
type chunkSource struct {
	files    []*parquet.File
	messages map[int64]string
	closers  []func()
}

func openChunks(ctx context.Context, out Sink, done []ChunkDone) (*chunkSource, error) {
	s := &chunkSource{messages: map[int64]string{}}
	for _, d := range done {
		ra, closer, err := openReaderAt(ctx, out, d.Key)
		if err != nil {
			s.close()
			return nil, err
		}
		s.closers = append(s.closers, closer)
		f, err := parquet.OpenFile(ra, d.Size)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("chunk %d: %w", d.Index, err)
		}
		if f.NumRows() != d.Rows {
			s.close()
			return nil, fmt.Errorf("%w: chunk %d holds %d rows, its marker says %d", ErrAccounting, d.Index, f.NumRows(), d.Rows)
		}
		s.files = append(s.files, f)
		for _, m := range d.Messages {
			s.messages[m.Line] = m.Message
		}
	}
	return s, nil
}

func (s *chunkSource) close() {
	for _, c := range s.closers {
		c()
	}
}

// read fills batches from the chunks in order and hands each to emit,
// which owns it from then on. Batches come from free; nil free: one batch
// is reused (emit must be done with it when it returns).
func (s *chunkSource) read(ctx context.Context, size int, free chan *Batch, emit func(*Batch) error) error {
	if size <= 0 {
		size = DefaultBatchSize
	}
	var own *Batch
	if free == nil {
		own = newBatch(size)
	}
	var seq int64
	for _, f := range s.files {
		rd := parquet.NewGenericReader[formats.Row](f)
		for {
			b := own
			if b == nil {
				select {
				case b = <-free:
				case <-ctx.Done():
					rd.Close()
					return ctx.Err()
				}
			}
			b.reset(seq)
			b.Rows = b.Rows[:size]
			for i := range b.Rows {
				b.Rows[i].Reset()
			}
			n, rerr := rd.Read(b.Rows)
			b.Rows = b.Rows[:n]
			if n > 0 {
				s.fillRecords(b)
				seq++
				if err := emit(b); err != nil {
					rd.Close()
					return err
				}
			} else if free != nil {
				free <- b // never blocks: it came from free
			}
			if errors.Is(rerr, io.EOF) {
				break
			}
			if rerr != nil {
				rd.Close()
				return fmt.Errorf("read chunk rows: %w", rerr)
			}
		}
		rd.Close()
	}
	return nil
}

// fillRecords gives every row its record: the line, and for a rejected row
// what rejects.csv needs.
func (s *chunkSource) fillRecords(b *Batch) {
	for i := range b.Rows {
		row := &b.Rows[i]
		rec := formats.Record{Line: row.SourceLine}
		if row.Rejected {
			rec.Raw, rec.Message = row.Raw, s.messages[row.SourceLine]
			if len(row.Reasons) > 0 {
				rec.Reject = row.Reasons[0]
			}
		}
		b.Records = append(b.Records, rec)
	}
}

// each calls fn with every batch in file order, from one goroutine.
func (s *chunkSource) each(ctx context.Context, size int, fn func(*Batch) error) error {
	return s.read(ctx, size, nil, func(b *Batch) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(b)
	})
}

// run passes every batch through stages on workers goroutines, then sink.
// The stages must be parallel (the planner's Process is).
func (s *chunkSource) run(ctx context.Context, stages []Stage, sink SinkFunc, workers, size int, c *Counters) error {
	for _, st := range stages {
		if isOrdered(st) {
			return fmt.Errorf("merge: stage %s is ordered", st.Name())
		}
	}
	if workers <= 0 {
		workers = 1
	}
	if size <= 0 {
		size = DefaultBatchSize
	}
	g, ctx := errgroup.WithContext(ctx)
	inFlight := 2*workers + 2
	free := make(chan *Batch, inFlight)
	for range inFlight {
		free <- newBatch(size)
	}
	work := make(chan *Batch, workers)
	g.Go(func() error {
		defer close(work)
		return s.read(ctx, size, free, func(b *Batch) error {
			c.Records.Add(int64(len(b.Rows)))
			return send(ctx, work, b)
		})
	})
	for w := range workers {
		g.Go(func() error {
			for b := range work {
				if err := runStages(ctx, stages, b); err != nil {
					return err
				}
				if err := sink(ctx, w, b); err != nil {
					return err
				}
				free <- b // never blocks: free holds every batch
			}
			return nil
		})
	}
	return g.Wait()
}
