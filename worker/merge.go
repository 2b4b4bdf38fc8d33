package worker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

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

	stages, err := r.mergeStages(ctx)
	if err != nil {
		return nil, err
	}
	pl, _ := findPlanner(stages)
	// Reading pass: every chunk's frames in chunk order, decoded on every
	// core, Observed in file order, and copied as they are to the local
	// row spill; then the plan; then the writing pass replays the spill
	// through dedup, suppression and the decision, as Wash does.
	spill, err := newRowSpill(cfg.SpillDir, cfg.Workers)
	if err != nil {
		return nil, err
	}
	defer spill.remove()
	src := &chunkSource{ctx: ctx, out: cfg.Out, done: done, size: plan.Size}
	for _, d := range done {
		src.total += d.Size
	}
	defer src.close()
	cfg.Counters.Pass.Store(1)
	p := &pass{source: src, stages: []Stage{spillDecode{}, observe{pl}}, sink: spill.sink,
		workers: cfg.Workers, counters: cfg.Counters}
	if err := p.run(ctx); err != nil {
		return nil, err
	}
	if n := cfg.Counters.Records.Load(); n != plan.Records {
		return nil, fmt.Errorf("%w: the plan has %d records, the chunks %d", ErrAccounting, plan.Records, n)
	}
	if err := pl.Plan(ctx); err != nil {
		return nil, fmt.Errorf("stage %s: plan: %w", pl.Name(), err)
	}
	log.Info("dedup planned", "seconds", time.Since(started).Seconds())
	cfg.Counters.Pass.Store(2)
	cfg.Counters.Records.Store(0)
	cfg.Counters.BytesRead.Store(0)
	input := InputInfo{Name: cfg.InKey, Size: plan.Size, Read: plan.Info}
	return r.commit(ctx, started, input, unmapped, func(ctx context.Context, sink SinkFunc) (string, error) {
		return plan.SHA256, spill.replay(ctx, stages, sink, cfg.Workers, cfg.Counters, plan.Size)
	})
}

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
	// The chunks ran the row stages, everything before the planner.
	_, idx := findPlanner(stages)
	if idx < 0 {
		return nil, errors.New("merge: no planner (dedup) among the stages")
	}
	stages = stages[idx:]
	if r.cfg.Timer != nil {
		stages = r.cfg.Timer.WrapAll(stages)
	}
	return stages, nil
}

// chunkSource reads the chunks' frames in chunk order for a pass: the
// frames hold chunk-local batch numbers, the pass numbers them anew.
type chunkSource struct {
	ctx  context.Context
	out  Sink
	done []ChunkDone
	size int64 // the input's, for progress

	nextChunk int // the next chunk to open
	rc        io.ReadCloser
	r         *bufio.Reader
	cur       ChunkDone
	rows      int64 // rows read of cur
	bytes     int64 // frame bytes read of all chunks
	total     int64 // frame bytes of all chunks
}

func (s *chunkSource) next(b *Batch) (int, error) {
	for {
		if s.r == nil {
			if s.nextChunk == len(s.done) {
				return 0, io.EOF
			}
			if err := s.open(s.done[s.nextChunk]); err != nil {
				return 0, err
			}
			s.nextChunk++
		}
		frame, err := readFrame(s.r)
		if errors.Is(err, io.EOF) {
			if s.rows != s.cur.Rows {
				return 0, fmt.Errorf("%w: chunk %d holds %d rows, its marker says %d", ErrAccounting, s.cur.Index, s.rows, s.cur.Rows)
			}
			s.close()
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("chunk %d: %w", s.cur.Index, err)
		}
		s.bytes += int64(len(frame))
		var d formats.RowDecoder
		d.Reset(frame)
		d.Uvarint()
		n := d.Uvarint()
		if n == 0 || !d.More() {
			return 0, fmt.Errorf("chunk %d: %w", s.cur.Index, formats.ErrCorruptSpill)
		}
		s.rows += int64(n)
		b.frame = frame
		return int(n), nil
	}
}

func (s *chunkSource) open(d ChunkDone) error {
	rc, err := s.out.Open(s.ctx, d.Key)
	if err != nil {
		return fmt.Errorf("chunk %d: %w", d.Index, err)
	}
	r := bufio.NewReaderSize(rc, spillBufSize)
	magic := make([]byte, len(chunkRowsMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != chunkRowsMagic {
		rc.Close()
		return fmt.Errorf("chunk %d: not a rows file of this version (%s): %w", d.Index, d.Key, formats.ErrCorruptSpill)
	}
	s.rc, s.r, s.cur, s.rows = rc, r, d, 0
	return nil
}

func (s *chunkSource) bytesRead() int64 {
	if s.total == 0 {
		return 0
	}
	return s.size * s.bytes / s.total
}

func (s *chunkSource) close() {
	if s.rc != nil {
		s.rc.Close()
	}
	s.rc, s.r = nil, nil
}
