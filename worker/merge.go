package worker

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strings"
	"time"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/worker/dedup"
)

// A chunked run ends in three steps (four with dedup partitions), each a
// task of its own in the distributed runtime:
//
//  0. With plan.MatchParts > 0, MatchPartition (wash:match, one per dedup
//     partition, on any worker) compares the blocks of its partition and
//     writes the matched pairs (match.go).
//  1. MergePlan (wash:merge, one per run) reads every chunk's dedup state
//     in file order, Observes it, makes the plan of the whole delivery
//     (linking the partitions' pairs, or comparing itself without them)
//     and writes each chunk's slice of it to dedup/<chunk>.res.
//  2. ApplyChunk (wash:apply, one per chunk, on any worker) reads its
//     chunk's rows and plan slice, marks duplicates and seen-before rows,
//     decides, writes the chunk's final Parquet parts and rejects, reads
//     them back, and writes the marker applied/<chunk>.json.
//  3. CommitChunks (wash:commit, one per run) checks the markers add up,
//     joins the rejects, writes the scorecard, commits the manifest and
//     then the run's contact index segment.
//
// The Parquet writing, the largest cost after the chunks' own wash, and
// the dedup comparisons are so spread over the workers; only Observe and
// the linear steps of Plan stay on one machine.
const (
	DedupDir   = "dedup"   // dedup/plan.json and dedup/<chunk>.res
	AppliedDir = "applied" // applied/<chunk>.json; applied/<chunk>/<attempt>.* scratch
)

const mergePlanKey = DedupDir + "/plan.json"

// ErrChunksMissing: a step ran before the one it builds on was done for
// every chunk (retried).
var ErrChunksMissing = errors.New("not every chunk is done yet")

func dedupResultsKey(i int) string { return DedupDir + "/" + chunkName(i) + ".res" }

// AppliedKey is the marker of applied chunk i.
func AppliedKey(i int) string { return AppliedDir + "/" + chunkName(i) + ".json" }

func appliedScratch(i int, attempt, ext string) string {
	return AppliedDir + "/" + chunkName(i) + "/" + attempt + ext
}

// MergePlanInfo is dedup/plan.json: the dedup plan of a chunked run.
type MergePlanInfo struct {
	Records int64          `json:"records"` // rows read from the chunks, rejected included
	Dedup   DedupStats     `json:"dedup"`   // of the whole delivery; seen-before counts are the chunks'
	Chunks  []ChunkResults `json:"chunks"`
}

// ChunkResults names one chunk's slice of the plan.
type ChunkResults struct {
	Index   int    `json:"index"`
	Key     string `json:"key"`
	Results int64  `json:"results"` // the chunk's rows that are not rejected
}

// AppliedChunk is applied/<chunk>.json, written with PutIfAbsent by the
// first attempt that wrote and checked the chunk's output: it names that
// attempt's files, so a duplicate attempt can never change what commits.
type AppliedChunk struct {
	Index      int              `json:"index"`
	Attempt    string           `json:"attempt"`
	Files      []OutputFile     `json:"files"`   // Parquet parts (rows/, callable/, mailable/)
	Rejects    OutputFile       `json:"rejects"` // this chunk's rejected records, rejects.csv format
	Keys       *OutputFile      `json:"keys,omitempty"`
	Counts     Counts           `json:"counts"`
	Reasons    map[string]int64 `json:"reasons"`
	ValidUntil string           `json:"valid_until,omitempty"`
	SeenSame   int64            `json:"seen_before_same_supplier"`
	SeenOther  int64            `json:"seen_before_other_supplier"`
	Overlap    map[string]int64 `json:"overlap_by_supplier,omitempty"`
}

// MergeWash finishes a chunked run in one process: MatchPartition for
// every dedup partition, MergePlan, ApplyChunk for every chunk and
// CommitChunks, all as attempt cfg.Attempt. The
// runtime runs the same steps as separate tasks.
func MergeWash(ctx context.Context, cfg WashConfig, plan *ChunkPlan, unmapped []string) (*Result, error) {
	for p := range plan.MatchParts {
		if _, err := MatchPartition(ctx, cfg, plan, p); err != nil {
			return nil, err
		}
	}
	if _, err := MergePlan(ctx, cfg, plan); err != nil {
		return nil, err
	}
	for i := range plan.Chunks {
		if _, err := ApplyChunk(ctx, cfg, plan, i); err != nil {
			return nil, err
		}
	}
	return CommitChunks(ctx, cfg, plan, unmapped)
}

// MergePlan observes every chunk's rows for dedup in file order (the dedup
// state the chunks encoded; their rows only for chunks without it), plans,
// and writes each chunk's slice of the plan and dedup/plan.json. A plan already written (by an earlier
// attempt) is returned as it is. cfg.Out is the run's output folder.
func MergePlan(ctx context.Context, cfg WashConfig, plan *ChunkPlan) (*MergePlanInfo, error) {
	r, err := newRun(cfg)
	if err != nil {
		return nil, err
	}
	defer r.rs.close()
	cfg, log := r.cfg, r.log
	started := time.Now()
	if info, err := readChunkJSON[MergePlanInfo](ctx, cfg.Out, mergePlanKey); err == nil {
		return &info, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read dedup plan: %w", err)
	}
	if err := prepareOut(ctx, cfg.Out, false); err != nil {
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
	stages, err := r.mergeStages(ctx)
	if err != nil {
		return nil, err
	}
	pl, _ := findPlanner(stages)
	if r.rs.dedup == nil {
		return nil, errors.New("merge: no dedup stage configured")
	}
	cfg.Counters.Pass.Store(1)
	if err := r.observeChunks(ctx, pl, done, plan); err != nil {
		return nil, err
	}
	if partitioned(plan, done) {
		if err := addMatches(ctx, cfg.Out, plan, r.rs.dedup.d); err != nil {
			return nil, err
		}
	}
	if err := pl.Plan(ctx); err != nil {
		return nil, fmt.Errorf("stage %s: plan: %w", pl.Name(), err)
	}
	info := MergePlanInfo{Records: plan.Records, Dedup: r.rs.dedup.Stats()}
	var results int64
	for k, c := range plan.Chunks {
		to := int64(math.MaxInt64)
		if k+1 < len(plan.Chunks) {
			to = plan.Chunks[k+1].FirstLine
		}
		key := dedupResultsKey(c.Index)
		n, err := writeResults(ctx, cfg.Out, key, r.rs.dedup.d, c.FirstLine, to)
		if err != nil {
			return nil, err
		}
		results += int64(n)
		info.Chunks = append(info.Chunks, ChunkResults{Index: c.Index, Key: key, Results: int64(n)})
	}
	if observed := info.Dedup.Persons + info.Dedup.DuplicateRows; results != observed {
		return nil, fmt.Errorf("%w: dedup planned %d rows, its chunk slices hold %d", ErrAccounting, observed, results)
	}
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := cfg.Out.PutIfAbsent(ctx, mergePlanKey, append(data, '\n')); err != nil {
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("write dedup plan: %w", err)
		}
		// A concurrent attempt wrote it first; its slices equal ours.
		if info, err = readChunkJSON[MergePlanInfo](ctx, cfg.Out, mergePlanKey); err != nil {
			return nil, fmt.Errorf("read dedup plan: %w", err)
		}
	}
	log.Info("dedup planned", "rows", results, "duplicates", info.Dedup.DuplicateRows,
		"seconds", time.Since(started).Seconds())
	return &info, nil
}

// observeChunks feeds every chunk's rows to the planner, in file order:
// the dedup state the chunks encoded when every chunk has it, else the
// rows themselves, decoded on every core.
func (r *run) observeChunks(ctx context.Context, pl Planner, done []ChunkDone, plan *ChunkPlan) error {
	cfg := r.cfg
	encoded := true
	var rows int64
	for _, d := range done {
		encoded = encoded && d.Recs != ""
		rows += d.Rows
	}
	if rows != plan.Records {
		return fmt.Errorf("%w: the plan has %d records, the chunks %d", ErrAccounting, plan.Records, rows)
	}
	if encoded {
		// A chunk washed by other code (a rolling upgrade) may have
		// encoded its dedup state differently: then every chunk is
		// observed from its rows.
		same, err := sameEncoding(ctx, cfg.Out, done)
		if err != nil {
			return err
		}
		if !same {
			r.log.Info("a chunk's dedup state is of another version, observing the rows instead")
			encoded = false
		}
	}
	if !encoded {
		src := newChunkSource(ctx, cfg.Out, done, plan.Size)
		defer src.close()
		p := &pass{source: src, stages: []Stage{spillDecode{}, observe{pl}},
			sink: func(context.Context, int, *Batch) error { return nil }, workers: cfg.Workers, counters: cfg.Counters}
		return p.run(ctx) // the source checks every chunk's rows against its marker
	}
	d := r.rs.dedup.d
	var read int64
	for _, c := range done {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := observeEncoded(ctx, cfg.Out, c, d)
		if err != nil {
			return fmt.Errorf("chunk %d: %w", c.Index, err)
		}
		if int64(n) != c.RecRows {
			return fmt.Errorf("%w: chunk %d: %d rows of dedup state, its marker says %d", ErrAccounting, c.Index, n, c.RecRows)
		}
		read += c.Size
		cfg.Counters.Records.Add(c.Rows)
		cfg.Counters.BytesRead.Store(plan.Size * read / max(1, totalSize(done)))
	}
	return nil
}

// sameEncoding reports whether every chunk's dedup state file starts with
// this code's version line.
func sameEncoding(ctx context.Context, src Source, done []ChunkDone) (bool, error) {
	magic := make([]byte, len(dedup.EncodedMagic))
	for _, c := range done {
		rc, err := src.Open(ctx, c.Recs)
		if err != nil {
			return false, fmt.Errorf("chunk %d: %w", c.Index, err)
		}
		_, err = io.ReadFull(rc, magic)
		rc.Close()
		if err != nil || string(magic) != dedup.EncodedMagic {
			return false, nil
		}
	}
	return true, nil
}

func totalSize(done []ChunkDone) int64 {
	var n int64
	for _, d := range done {
		n += d.Size
	}
	return n
}

func observeEncoded(ctx context.Context, src Source, c ChunkDone, d *dedup.Deduper) (int, error) {
	rc, err := src.Open(ctx, c.Recs)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, spillBufSize)
	magic := make([]byte, len(dedup.EncodedMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != dedup.EncodedMagic {
		return 0, fmt.Errorf("not a dedup state file of this version (%s): %w", c.Recs, dedup.ErrCorruptEncoded)
	}
	return d.ObserveEncoded(br)
}

func writeResults(ctx context.Context, out Sink, key string, d *dedup.Deduper, from, to int64) (int, error) {
	w, err := out.Create(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", key, err)
	}
	n, err := d.WriteResults(w, from, to)
	if err != nil {
		if a, ok := w.(interface{ Abort() error }); ok {
			a.Abort()
		} else {
			w.Close()
		}
		return 0, err
	}
	if err := w.Close(); err != nil {
		return 0, fmt.Errorf("close %s: %w", key, err)
	}
	return n, nil
}

// ApplyChunk writes the final output of chunk i of a planned run: its
// rows with the plan's dedup marks, seen-before marks and decisions, as
// Parquet parts rows/part-<chunk>-NNNNN.parquet under the attempt folder,
// its rejects and (with a contact index) its index keys. It reads the
// parts back, then writes applied/<chunk>.json with PutIfAbsent. If
// another attempt got there first, it removes its own files and returns
// that attempt's marker. cfg.Attempt must be set.
func ApplyChunk(ctx context.Context, cfg WashConfig, plan *ChunkPlan, i int) (ac *AppliedChunk, err error) {
	if cfg.Attempt == "" {
		return nil, errors.New("apply: no attempt id")
	}
	if i < 0 || i >= len(plan.Chunks) {
		return nil, fmt.Errorf("apply: chunk %d of %d", i, len(plan.Chunks))
	}
	r, err := newRun(cfg)
	if err != nil {
		return nil, err
	}
	defer r.rs.close()
	cfg, log := r.cfg, r.log.With("chunk", i)
	started := time.Now()
	if m, err := readChunkJSON[AppliedChunk](ctx, cfg.Out, AppliedKey(i)); err == nil {
		return &m, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read applied marker: %w", err)
	}
	info, err := readChunkJSON[MergePlanInfo](ctx, cfg.Out, mergePlanKey)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("apply chunk %d: no dedup plan yet: %w", i, ErrChunksMissing)
	}
	if err != nil {
		return nil, fmt.Errorf("read dedup plan: %w", err)
	}
	if len(info.Chunks) != len(plan.Chunks) {
		return nil, fmt.Errorf("%w: dedup plan of %d chunks, run of %d", ErrAccounting, len(info.Chunks), len(plan.Chunks))
	}
	done, err := readChunkJSON[ChunkDone](ctx, cfg.Out, ChunkDoneKey(i))
	if err != nil {
		return nil, fmt.Errorf("chunk %d: %w", i, err)
	}
	rc, err := cfg.Out.Open(ctx, info.Chunks[i].Key)
	if err != nil {
		return nil, fmt.Errorf("chunk %d: dedup plan: %w", i, err)
	}
	applied, err := dedup.ReadResults(rc)
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("chunk %d: %w", i, err)
	}

	r.partStem = "part-" + chunkName(i) + "-"
	r.rejectsKey = appliedScratch(i, cfg.Attempt, ".rejects.csv")
	defer func() {
		if err != nil {
			r.out.cleanup()
			log.Info("apply failed, partial output removed", "error", err)
		}
	}()
	stages, err := r.mergeStages(ctx)
	if err != nil {
		return nil, err
	}
	if r.rs.dedup == nil {
		return nil, errors.New("apply: no dedup stage configured")
	}
	r.rs.dedup.d = applied
	sinkState, err := r.newSinkState(ctx)
	if err != nil {
		return nil, err
	}
	src := newChunkSource(ctx, cfg.Out, []ChunkDone{done}, plan.Chunks[i].Length)
	defer src.close()
	p := &pass{source: src, stages: append([]Stage{spillDecode{}}, stages...), sink: sinkState.sink,
		workers: cfg.Workers, counters: cfg.Counters}
	if err := p.run(ctx); err != nil {
		return nil, err
	}
	t, err := sinkState.finish(ctx)
	if err != nil {
		return nil, err
	}
	if t.Rows != done.Rows {
		return nil, fmt.Errorf("%w: chunk %d holds %d rows, %d written", ErrAccounting, i, done.Rows, t.Rows)
	}
	if got, want := t.Rows-t.RejectedRows, info.Chunks[i].Results; got != want {
		return nil, fmt.Errorf("%w: chunk %d has %d rows to deduplicate, the plan %d", ErrAccounting, i, got, want)
	}
	if err := verifyOutput(ctx, cfg.Out, r.out.prefix+RowsDir+"/", r.out.files(), t); err != nil {
		return nil, err
	}
	var keysFile *OutputFile
	if r.rs.index != nil {
		key := appliedScratch(i, cfg.Attempt, ".keys")
		if err := r.out.put(ctx, key, encodeIndexKeys(r.rs.index.PendingKeys())); err != nil {
			return nil, err
		}
		keysFile = &OutputFile{Key: key}
	}
	st := r.rs.dedup.Stats()
	m := AppliedChunk{Index: i, Attempt: cfg.Attempt, Counts: t.Counts, Reasons: t.reasons, ValidUntil: t.validUntil,
		SeenSame: st.SeenBeforeSameSupplier, SeenOther: st.SeenBeforeOtherSupplier, Overlap: st.OverlapBySupplier}
	for _, f := range r.out.files() {
		switch {
		case f.Key == r.rejectsKey:
			m.Rejects = f
		case keysFile != nil && f.Key == keysFile.Key:
			m.Keys = &f
		default:
			m.Files = append(m.Files, f)
		}
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := cfg.Out.PutIfAbsent(ctx, AppliedKey(i), append(data, '\n')); err != nil {
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("write applied marker: %w", err)
		}
		r.out.cleanup() // another attempt applied the chunk first
		other, err := readChunkJSON[AppliedChunk](ctx, cfg.Out, AppliedKey(i))
		if err != nil {
			return nil, fmt.Errorf("read applied marker: %w", err)
		}
		log.Info("chunk was applied by another attempt, own output removed")
		return &other, nil
	}
	log.Info("chunk applied", "rows", t.Rows, "seconds", time.Since(started).Seconds())
	return &m, nil
}

// AppliedDone lists the applied markers of a run, in chunk order, and
// reports whether every chunk has one.
func AppliedDone(ctx context.Context, out Sink, plan *ChunkPlan) ([]AppliedChunk, bool, error) {
	var done []AppliedChunk
	for i := range plan.Chunks {
		m, err := readChunkJSON[AppliedChunk](ctx, out, AppliedKey(i))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("read applied marker %d: %w", i, err)
		}
		done = append(done, m)
	}
	return done, len(done) == len(plan.Chunks), nil
}

// CommitChunks commits a run whose chunks are all applied: it checks that
// the markers add up (per chunk against the chunk markers and the plan,
// in total against the input's records), checks every listed file's size,
// joins the chunks' rejects into rejects.csv, writes the scorecard and
// commits the manifest exactly as Wash does; then the run's contact index
// segment.
func CommitChunks(ctx context.Context, cfg WashConfig, plan *ChunkPlan, unmapped []string) (res *Result, err error) {
	r, err := newRun(cfg)
	if err != nil {
		return nil, err
	}
	defer r.rs.close()
	cfg, log := r.cfg, r.log
	started := time.Now()
	if err := prepareOut(ctx, cfg.Out, false); err != nil {
		return nil, err
	}
	info, err := readChunkJSON[MergePlanInfo](ctx, cfg.Out, mergePlanKey)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("commit: no dedup plan yet: %w", ErrChunksMissing)
	}
	if err != nil {
		return nil, fmt.Errorf("read dedup plan: %w", err)
	}
	applied, complete, err := AppliedDone(ctx, cfg.Out, plan)
	if err != nil {
		return nil, err
	}
	if !complete {
		return nil, fmt.Errorf("commit: %d of %d chunks applied: %w", len(applied), len(plan.Chunks), ErrChunksMissing)
	}
	chunks, complete, err := ChunksDone(ctx, cfg.Out, plan)
	if err != nil {
		return nil, err
	}
	if !complete || len(info.Chunks) != len(plan.Chunks) {
		return nil, fmt.Errorf("%w: applied chunks without their chunk markers or plan", ErrAccounting)
	}
	total := newTally()
	ds := info.Dedup
	ds.OverlapBySupplier = map[string]int64{}
	var files []OutputFile
	for k, m := range applied {
		switch {
		case m.Counts.Rows != chunks[k].Rows:
			return nil, fmt.Errorf("%w: chunk %d has %d rows, %d applied", ErrAccounting, k, chunks[k].Rows, m.Counts.Rows)
		case m.Counts.Rows-m.Counts.RejectedRows != info.Chunks[k].Results:
			return nil, fmt.Errorf("%w: chunk %d applied %d rows to deduplicate, the plan has %d", ErrAccounting, k,
				m.Counts.Rows-m.Counts.RejectedRows, info.Chunks[k].Results)
		}
		t := &tally{Counts: m.Counts, reasons: m.Reasons, validUntil: m.ValidUntil}
		if t.reasons == nil {
			t.reasons = map[string]int64{}
		}
		total.add(t)
		ds.SeenBeforeSameSupplier += m.SeenSame
		ds.SeenBeforeOtherSupplier += m.SeenOther
		for s, n := range m.Overlap {
			ds.OverlapBySupplier[s] += n
		}
		var inParts int64
		for _, f := range m.Files {
			size, err := cfg.Out.Size(ctx, f.Key)
			if err != nil {
				return nil, fmt.Errorf("chunk %d: %w", k, err)
			}
			if size != f.Size {
				return nil, fmt.Errorf("%w: %s holds %d bytes, %d written", ErrAccounting, f.Key, size, f.Size)
			}
			if isRowsPart(f.Key) {
				inParts += f.Rows
			}
		}
		if inParts != m.Counts.Rows {
			return nil, fmt.Errorf("%w: chunk %d: %d rows in its parts, %d applied", ErrAccounting, k, inParts, m.Counts.Rows)
		}
		files = append(files, m.Files...)
	}
	total.finish()
	if total.Rows != plan.Records {
		return nil, fmt.Errorf("%w: the plan has %d records, the applied chunks %d", ErrAccounting, plan.Records, total.Rows)
	}
	if total.DuplicateRows != ds.DuplicateRows || total.NearDuplicateRows != ds.NearDuplicateRows {
		return nil, fmt.Errorf("%w: %d duplicates marked, %d planned", ErrAccounting, total.DuplicateRows, ds.DuplicateRows)
	}
	var keys []uint64
	if cfg.Setup.Index != nil {
		for k, m := range applied {
			if m.Keys == nil {
				return nil, fmt.Errorf("%w: chunk %d has no contact index keys", ErrAccounting, k)
			}
			ks, err := readIndexKeys(ctx, cfg.Out, m.Keys.Key)
			if err != nil {
				return nil, fmt.Errorf("chunk %d: %w", k, err)
			}
			keys = append(keys, ks...)
		}
		run := dedup.RunInfo{Supplier: cfg.Env.Supplier, RunID: cfg.Env.RunID, Date: cfg.Env.AsOf.Format(time.DateOnly)}
		r.rs.commitIndex = func(ctx context.Context) error {
			return dedup.CommitKeys(ctx, cfg.Setup.Index, cfg.Setup.IndexKey, run, keys)
		}
	}

	defer func() {
		if err != nil {
			r.out.cleanup()
		}
	}()
	if err := r.joinRejects(ctx, applied, total.RejectedRows); err != nil {
		return nil, err
	}
	input := InputInfo{Name: cfg.InKey, Size: plan.Size, SHA256: plan.SHA256, Read: plan.Info}
	log.Info("chunks checked, committing", "chunks", len(applied), "rows", total.Rows)
	return r.publish(ctx, started, input, unmapped, total, &ds, files)
}

func isRowsPart(key string) bool {
	return strings.HasPrefix(key, RowsDir+"/") || strings.Contains(key, "/"+RowsDir+"/")
}

// rejectsHeader is the first line of every rejects file.
const rejectsHeader = "source_line,reason,message,raw\n"

// joinRejects writes rejects.csv from the chunks' rejects files, in chunk
// order, with one header, and checks the line count.
func (r *run) joinRejects(ctx context.Context, applied []AppliedChunk, want int64) error {
	w, err := r.out.create(ctx, r.out.prefix+RejectsKey)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, rejectsHeader); err != nil {
		r.out.abort(w)
		return fmt.Errorf("write rejects: %w", err)
	}
	var records int64
	for _, m := range applied {
		n, err := copyRejects(ctx, r.cfg.Out, m.Rejects.Key, w)
		if err != nil {
			r.out.abort(w)
			return fmt.Errorf("chunk %d: %w", m.Index, err)
		}
		if n != m.Counts.RejectedRows {
			r.out.abort(w)
			return fmt.Errorf("%w: chunk %d: %d rejects in its file, %d counted", ErrAccounting, m.Index, n, m.Counts.RejectedRows)
		}
		records += n
	}
	if records != want {
		r.out.abort(w)
		return fmt.Errorf("%w: %d rejects, %d counted", ErrAccounting, records, want)
	}
	return r.out.commit(w, records)
}

// copyRejects copies the records of one rejects file (without its header)
// to w and returns how many there were. A record's raw line may hold
// quoted newlines, so records are counted by a CSV reader.
func copyRejects(ctx context.Context, src Source, key string, w io.Writer) (int64, error) {
	rc, err := src.Open(ctx, key)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", key, err)
	}
	if !bytes.HasPrefix(data, []byte(rejectsHeader)) {
		return 0, fmt.Errorf("%w: %s does not start with the rejects header", ErrAccounting, key)
	}
	data = data[len(rejectsHeader):]
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = 4
	cr.ReuseRecord = true
	var n int64
	for {
		_, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("%w: %s: %w", ErrAccounting, key, err)
		}
		n++
	}
	if _, err := w.Write(data); err != nil {
		return 0, fmt.Errorf("write rejects: %w", err)
	}
	return n, nil
}

// indexKeysMagic starts an applied chunk's index keys file: keyed hashes
// (no cleartext), little-endian uint64, sorted.
const indexKeysMagic = "listwash-index-keys-v1\n"

func encodeIndexKeys(keys []uint64) []byte {
	b := make([]byte, 0, len(indexKeysMagic)+8*len(keys))
	b = append(b, indexKeysMagic...)
	for _, k := range keys {
		b = binary.LittleEndian.AppendUint64(b, k)
	}
	return b
}

func readIndexKeys(ctx context.Context, src Source, key string) ([]uint64, error) {
	rc, err := src.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	if !bytes.HasPrefix(data, []byte(indexKeysMagic)) || (len(data)-len(indexKeysMagic))%8 != 0 {
		return nil, fmt.Errorf("%s: %w", key, formats.ErrCorruptSpill)
	}
	data = data[len(indexKeysMagic):]
	keys := make([]uint64, len(data)/8)
	for i := range keys {
		keys[i] = binary.LittleEndian.Uint64(data[8*i:])
	}
	return keys, nil
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
	out  Source
	done []ChunkDone
	size int64 // the input's (or the chunk's) bytes, for progress

	nextChunk int // the next chunk to open
	rc        io.ReadCloser
	r         *bufio.Reader
	cur       ChunkDone
	rows      int64 // rows read of cur
	packing   bool  // cur's frames say whether they are packed (v2)
	bytes     int64 // frame bytes read of all chunks
	total     int64 // frame bytes of all chunks
}

func newChunkSource(ctx context.Context, out Source, done []ChunkDone, size int64) *chunkSource {
	s := &chunkSource{ctx: ctx, out: out, done: done, size: size}
	for _, d := range done {
		s.total += d.Size
	}
	return s
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
		n, packed := d.Uvarint(), false
		if s.packing {
			n, packed = n>>1, n&1 != 0
		}
		if n == 0 || !d.More() || !packed && n > uint64(len(frame)) { // spillDecode checks packed rows
			return 0, fmt.Errorf("chunk %d: %w", s.cur.Index, formats.ErrCorruptSpill)
		}
		s.rows += int64(n)
		b.frame, b.frameRows, b.packed = frame[d.Pos():], int(n), packed
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
	_, err = io.ReadFull(r, magic)
	if err != nil || string(magic) != chunkRowsMagic && string(magic) != chunkRowsMagicV1 {
		rc.Close()
		return fmt.Errorf("chunk %d: not a rows file of this version (%s): %w", d.Index, d.Key, formats.ErrCorruptSpill)
	}
	s.rc, s.r, s.cur, s.rows = rc, r, d, 0
	s.packing = string(magic) == chunkRowsMagic
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
