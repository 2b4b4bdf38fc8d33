package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/jobs"
)

// planChunks splits a big input into wash:chunk tasks. It reports false
// when the file is to be washed whole: not splittable (gzip, XLSX,
// UTF-16) or a single chunk. The plan is written once (PutIfAbsent): a
// retried planner reuses it, and the chunk task ids are deterministic, so
// re-enqueueing is harmless.
func (r *taskRun) planChunks(ctx context.Context, src *pinnedSource, open OpenFunc) (bool, error) {
	plan, err := readChunkJSON[ChunkPlan](ctx, r.out, PlanKey)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		rc, err := src.Open(ctx, r.p.Input.Key)
		if err != nil {
			return false, fmt.Errorf("open input: %w", err)
		}
		started := time.Now()
		p, err := PlanChunks(ctx, rc, baseName(r.p.Input.Key), open, r.h.cfg.ChunkSize)
		rc.Close()
		if errors.Is(err, formats.ErrNotSplittable) {
			r.log.Info("input cannot be split, washed whole")
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if len(p.Chunks) < 2 {
			return false, nil
		}
		p.RunID, p.Input, p.Version = r.p.RunID, r.p.Input.Key, r.p.Input.Version
		p.MatchParts = matchParts(r.h.cfg.MatchParts, len(p.Chunks))
		data, err := json.MarshalIndent(p, "", "  ")
		if err != nil {
			return false, err
		}
		if err := r.out.PutIfAbsent(ctx, PlanKey, data); err != nil && !errors.Is(err, fs.ErrExist) {
			return false, fmt.Errorf("write plan: %w", err)
		}
		if plan, err = readChunkJSON[ChunkPlan](ctx, r.out, PlanKey); err != nil {
			return false, err
		}
		r.log.Info("input planned", "chunks", len(plan.Chunks), "records", plan.Records, "seconds", time.Since(started).Seconds())
	case err != nil:
		return false, fmt.Errorf("read plan: %w", err)
	}
	for _, c := range plan.Chunks {
		p := jobs.WashChunk{RunID: r.p.RunID, Supplier: r.p.Supplier, Input: r.p.Input, Chunk: c.Index,
			Chunks: len(plan.Chunks), Offset: c.Offset, Length: c.Length, Output: r.p.Output, Options: r.p.Options}
		t, err := jobs.NewWashChunkTask(p, asynq.Retention(24*time.Hour))
		if err != nil {
			return false, err
		}
		if err := r.h.enqueue(t); err != nil {
			return false, err
		}
	}
	return true, nil
}

// enqueue enqueues t; a task id already taken means it is already there.
func (h *Handler) enqueue(t *asynq.Task) error {
	if _, err := h.cfg.Enqueuer.Enqueue(t); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue %s: %w", t.Type(), err)
	}
	return nil
}

// stepTask parses the payload of a chunk, merge, apply or commit task and
// starts its task run. A payload that does not parse is never retried.
func stepTask[P interface{ File() jobs.WashFile }](ctx context.Context, h *Handler, t *asynq.Task, parse func([]byte) (P, error)) (P, *taskRun, error) {
	p, err := parse(t.Payload())
	if err != nil {
		h.log.Error("task rejected", "type", t.Type(), "error", err)
		return p, nil, fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	r, err := h.chunkRun(ctx, p.File(), t.Type())
	if err != nil {
		return p, nil, err
	}
	r.result = t.ResultWriter()
	return p, r, nil
}

// runStep runs a chunk, match, merge or apply task: it parses the
// payload, skips a run already final, reads the run's chunk plan, runs
// the step and, once the run is final, removes its scratch.
func runStep[P interface{ File() jobs.WashFile }](ctx context.Context, h *Handler, t *asynq.Task,
	parse func([]byte) (P, error), run func(*taskRun, context.Context, P, ChunkPlan) (string, error)) error {
	p, r, err := stepTask(ctx, h, t, parse)
	if err != nil {
		return err
	}
	status, err := r.stepWithPlan(ctx, func(plan ChunkPlan) (string, error) { return run(r, ctx, p, plan) })
	r.finishStep(ctx, status)
	return err
}

// stepWithPlan runs step with the run's chunk plan, unless the run is
// already final.
func (r *taskRun) stepWithPlan(ctx context.Context, step func(ChunkPlan) (string, error)) (string, error) {
	if fin, err := r.final(ctx); err != nil || fin {
		return outcomeDuplicate, err
	}
	plan, err := readChunkJSON[ChunkPlan](ctx, r.out, PlanKey)
	if err != nil {
		return outcomeRetry, fmt.Errorf("read plan: %w", err)
	}
	return step(plan)
}

// chunkRun starts a task run for a step task of a chunked run.
func (h *Handler) chunkRun(ctx context.Context, p jobs.WashFile, kind string) (*taskRun, error) {
	retry, _ := asynq.GetRetryCount(ctx)
	r := &taskRun{h: h, p: p, attempt: h.cfg.NewAttempt(retry), started: time.Now().UTC(),
		log: h.log.With("run_id", p.RunID, "supplier", p.Supplier, "task", kind)}
	r.log = r.log.With("attempt", r.attempt)
	out, err := h.cfg.Open(ctx, OutputURL(p))
	if err != nil {
		return nil, fmt.Errorf("open output: %w", err)
	}
	r.out = out
	return r, nil
}

// final reports whether the run is already committed or failed.
func (r *taskRun) final(ctx context.Context) (bool, error) {
	rec, err := r.h.ledger.Get(ctx, r.p.RunID)
	if err == nil && rec.Final() {
		return true, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("read ledger: %w", err)
	}
	if _, _, err := readCommitted(ctx, r.out); err == nil {
		return true, nil
	}
	return false, nil
}

// ProcessChunk washes the chunk a wash:chunk task names and, if it was
// the last chunk to finish, enqueues the run's wash:merge.
func (h *Handler) ProcessChunk(ctx context.Context, t *asynq.Task) error {
	return runStep(ctx, h, t, jobs.ParseWashChunk, (*taskRun).runChunk)
}

func (r *taskRun) runChunk(ctx context.Context, p jobs.WashChunk, plan ChunkPlan) (string, error) {
	h := r.h
	if p.Chunks != len(plan.Chunks) || plan.Chunks[p.Chunk].Offset != p.Offset || plan.Chunks[p.Chunk].Length != p.Length {
		return outcomeFailed, fmt.Errorf("chunk %d does not match the run's plan: %w", p.Chunk, asynq.SkipRetry)
	}
	in, err := h.cfg.Open(ctx, p.Input.Store)
	if err != nil {
		return outcomeRetry, fmt.Errorf("open input store: %w", err)
	}
	rs, ok := in.(RangeSource)
	if !ok {
		return outcomeFailed, fmt.Errorf("input store cannot read ranges: %w", asynq.SkipRetry)
	}
	src := &pinnedSource{Store: in, key: p.Input.Key, version: p.Input.Version}
	if err := src.check(ctx); err != nil {
		return r.classify(ctx, err)
	}
	setup, profile, err := r.setup(ctx)
	if err != nil {
		return r.classify(ctx, err)
	}
	asOf, _ := time.Parse(jobs.AsOfLayout, p.Options.AsOf)
	err = WashChunk(ctx, ChunkConfig{Env: r.env(asOf), In: rs, InKey: p.Input.Key, Out: r.out, Plan: &plan,
		Index: p.Chunk, Profile: profile, Setup: setup, Workers: h.cfg.Workers, Attempt: r.attempt, Logger: r.log})
	if err != nil {
		return r.classify(ctx, err)
	}
	done, complete, err := ChunksDone(ctx, r.out, &plan)
	if err != nil {
		return outcomeRetry, err
	}
	if plan.MatchParts > 0 && complete {
		// Every partition's wash:match; the last of them enqueues the merge.
		for part := range plan.MatchParts {
			t, err := jobs.NewWashMatchTask(jobs.WashMatch{RunID: p.RunID, Supplier: p.Supplier, Input: p.Input,
				Part: part, Parts: plan.MatchParts, Chunks: len(plan.Chunks), Output: p.Output, Options: p.Options},
				asynq.Retention(24*time.Hour))
			if err != nil {
				return outcomeFailed, err
			}
			if err := h.enqueue(t); err != nil {
				return outcomeRetry, err
			}
		}
		r.log.Info("chunk done for every chunk, "+jobs.TypeWashMatch+" enqueued", "chunk", p.Chunk, "parts", plan.MatchParts)
		return outcomeCommitted, nil
	}
	return r.nextWhenAll(outcomeCommitted, "chunk done", "chunk", p.Chunk, len(done), len(plan.Chunks), complete, r.mergeTask(&plan))
}

// matchParts is the number of dedup partitions of a run of chunks: the
// configured number, none when it is not positive.
func matchParts(configured, chunks int) int {
	if configured <= 0 || chunks < 2 {
		return 0
	}
	return configured
}

// mergeTask makes the run's wash:merge task.
func (r *taskRun) mergeTask(plan *ChunkPlan) func() (*asynq.Task, error) {
	return func() (*asynq.Task, error) {
		return jobs.NewWashMergeTask(jobs.WashMerge{RunID: r.p.RunID, Supplier: r.p.Supplier, Input: r.p.Input,
			Chunks: len(plan.Chunks), Output: r.p.Output, Options: r.p.Options}, asynq.Retention(24*time.Hour))
	}
}

// ProcessMatch compares the rows of one dedup partition of a chunked run
// and, if it was the last partition to finish, enqueues the wash:merge.
func (h *Handler) ProcessMatch(ctx context.Context, t *asynq.Task) error {
	return runStep(ctx, h, t, jobs.ParseWashMatch, (*taskRun).runMatch)
}

func (r *taskRun) runMatch(ctx context.Context, p jobs.WashMatch, plan ChunkPlan) (string, error) {
	if p.Parts != plan.MatchParts || p.Chunks != len(plan.Chunks) {
		return outcomeFailed, fmt.Errorf("match of partition %d of %d does not match the run's plan: %w", p.Part, p.Parts, asynq.SkipRetry)
	}
	setup, _, err := r.setup(ctx)
	if err != nil {
		return r.classify(ctx, err)
	}
	if _, err := MatchPartition(ctx, r.stepConfig(setup), &plan, p.Part); err != nil {
		if errors.Is(err, ErrChunksMissing) {
			return outcomeRetry, err
		}
		return r.classify(ctx, err)
	}
	done, complete, err := MatchesDone(ctx, r.out, &plan)
	if err != nil {
		return outcomeRetry, err
	}
	return r.nextWhenAll(outcomePlanned, "partition matched", "partition", p.Part, done, plan.MatchParts, complete, r.mergeTask(&plan))
}

// nextWhenAll enqueues the run's next step once every chunk (or
// partition: unit) has passed this one: the task that finishes the last
// one does it (a second one seeing them all too is refused by the next
// task's deterministic id). It returns status when this step succeeded.
func (r *taskRun) nextWhenAll(status, step, unit string, n, done, all int, complete bool, next func() (*asynq.Task, error)) (string, error) {
	if !complete {
		r.log.Info(step+", waiting for others", unit, n, "done", done, unit+"s", all)
		return status, nil
	}
	t, err := next()
	if err != nil {
		return outcomeFailed, err
	}
	if err := r.h.enqueue(t); err != nil {
		return outcomeRetry, err
	}
	r.log.Info(step+" for every "+unit+", "+t.Type()+" enqueued", unit, n)
	return status, nil
}

// stepConfig is the WashConfig of a merge, apply or commit task.
func (r *taskRun) stepConfig(setup *Setup) WashConfig {
	asOf, _ := time.Parse(jobs.AsOfLayout, r.p.Options.AsOf)
	return WashConfig{Env: r.env(asOf), InKey: r.p.Input.Key, Out: r.out, Setup: setup,
		Mode: r.p.Options.Mode, Workers: r.h.cfg.Workers, CodeVersion: r.h.cfg.CodeVersion, Attempt: r.attempt,
		Logger: r.log}
}

func (r *taskRun) env(asOf time.Time) Env {
	return Env{RunID: r.p.RunID, Supplier: r.p.Supplier, Company: r.p.Options.Company, AsOf: asOf,
		DefaultCountry: r.h.cfg.Country, SourceFile: baseName(r.p.Input.Key)}
}

// ProcessMerge makes the dedup plan of a chunked run and enqueues one
// wash:apply per chunk.
func (h *Handler) ProcessMerge(ctx context.Context, t *asynq.Task) error {
	return runStep(ctx, h, t, jobs.ParseWashMerge, (*taskRun).runMerge)
}

func (r *taskRun) runMerge(ctx context.Context, _ jobs.WashMerge, plan ChunkPlan) (string, error) {
	h := r.h
	setup, _, err := r.setup(ctx)
	if err != nil {
		return r.classify(ctx, err)
	}
	cfg := r.stepConfig(setup)
	cfg.Counters = &Counters{}
	stop := r.reportProgress(cfg.Counters)
	_, err = MergePlan(ctx, cfg, &plan)
	stop()
	r.writeProgress(cfg.Counters, true)
	if errors.Is(err, ErrChunksMissing) {
		return outcomeRetry, err
	}
	if err != nil {
		return r.classify(ctx, err)
	}
	for i := range plan.Chunks {
		t, err := jobs.NewWashApplyTask(jobs.WashApply{RunID: r.p.RunID, Supplier: r.p.Supplier, Input: r.p.Input,
			Chunk: i, Chunks: len(plan.Chunks), Output: r.p.Output, Options: r.p.Options}, asynq.Retention(24*time.Hour))
		if err != nil {
			return outcomeFailed, err
		}
		if err := h.enqueue(t); err != nil {
			return outcomeRetry, err
		}
	}
	r.log.Info("dedup planned, chunks to apply enqueued", "chunks", len(plan.Chunks))
	return outcomePlanned, nil
}

// ProcessApply writes one chunk's final output from the run's dedup plan
// and, if it was the last chunk to be applied, enqueues the wash:commit.
func (h *Handler) ProcessApply(ctx context.Context, t *asynq.Task) error {
	return runStep(ctx, h, t, jobs.ParseWashApply, (*taskRun).runApply)
}

func (r *taskRun) runApply(ctx context.Context, p jobs.WashApply, plan ChunkPlan) (string, error) {
	h := r.h
	if p.Chunks != len(plan.Chunks) {
		return outcomeFailed, fmt.Errorf("apply of chunk %d of %d does not match the run's plan: %w", p.Chunk, p.Chunks, asynq.SkipRetry)
	}
	setup, _, err := r.setup(ctx)
	if err != nil {
		return r.classify(ctx, err)
	}
	cfg := r.stepConfig(setup)
	cfg.Counters, cfg.Timer = &Counters{}, &Timer{}
	stop := r.reportProgress(cfg.Counters)
	_, err = ApplyChunk(ctx, cfg, &plan, p.Chunk)
	stop()
	r.rows = cfg.Counters.Records.Load()
	r.writeProgress(cfg.Counters, true)
	if errors.Is(err, ErrChunksMissing) {
		return outcomeRetry, err
	}
	if err != nil {
		return r.classify(ctx, err)
	}
	if h.cfg.Observer != nil {
		for _, st := range cfg.Timer.Times() {
			h.cfg.Observer.ObserveStage(st.Stage, st.Busy, st.Rows)
		}
	}
	done, complete, err := AppliedDone(ctx, r.out, &plan)
	if err != nil {
		return outcomeRetry, err
	}
	return r.nextWhenAll(outcomePlanned, "chunk applied", "chunk", p.Chunk, len(done), len(plan.Chunks), complete, func() (*asynq.Task, error) {
		return jobs.NewWashCommitTask(jobs.WashCommit{RunID: p.RunID, Supplier: p.Supplier, Input: p.Input,
			Chunks: len(plan.Chunks), Output: p.Output, Options: p.Options}, asynq.Retention(24*time.Hour))
	})
}

// ProcessCommit commits a chunked run whose chunks are all applied and
// writes its ledger record; then it removes the run's scratch files.
func (h *Handler) ProcessCommit(ctx context.Context, t *asynq.Task) error {
	_, r, err := stepTask(ctx, h, t, jobs.ParseWashCommit)
	if err != nil {
		return err
	}
	status, err := r.runCommit(ctx)
	if h.cfg.Observer != nil && status != "" && status != outcomePlanned {
		h.cfg.Observer.ObserveRun(status, r.rows, time.Since(r.started))
	}
	r.finishStep(ctx, status)
	return err
}

func (r *taskRun) runCommit(ctx context.Context) (string, error) {
	h := r.h
	if rec, err := h.ledger.Get(ctx, r.p.RunID); err == nil && rec.Final() {
		return outcomeDuplicate, nil
	}
	plan, err := readChunkJSON[ChunkPlan](ctx, r.out, PlanKey)
	if err != nil {
		return outcomeRetry, fmt.Errorf("read plan: %w", err)
	}
	setup, profile, err := r.setup(ctx)
	if err != nil {
		return r.classify(ctx, err)
	}
	res, err := CommitChunks(ctx, r.stepConfig(setup), &plan, formats.MapHeader(plan.Dialect.Header, profile).Unmapped())
	if errors.Is(err, ErrChunksMissing) {
		return outcomeRetry, err
	}
	if err != nil {
		return r.classify(ctx, err)
	}
	r.rows = res.Manifest.Counts.Rows
	if r.result != nil {
		data, _ := json.Marshal(Progress{Rows: r.rows, Pass: 2, Done: true})
		r.result.Write(data)
	}
	if err := h.ledger.Put(ctx, CommittedRecord(r.base(), res.Manifest, &res.Scorecard)); err != nil {
		return outcomeRetry, fmt.Errorf("committed, but the ledger record failed: %w", err)
	}
	return outcomeCommitted, nil
}

// finishStep removes a run's scratch files once the run is final:
// committed (or found committed) or failed.
func (r *taskRun) finishStep(ctx context.Context, status string) {
	if status == outcomeCommitted || status == outcomeDuplicate || status == outcomeFailed {
		r.removeScratch(context.WithoutCancel(ctx), status == outcomeFailed)
	}
}

// removeScratch deletes the chunk files, the dedup plan and the applied
// chunks' scratch of a final run (best effort: the manifest does not list
// them, so readers never trust them). For a failed run it also deletes
// the applied chunks' Parquet parts.
func (r *taskRun) removeScratch(ctx context.Context, failed bool) {
	if fin, err := r.final(ctx); err != nil || !fin {
		return // not final yet (a duplicate task of a run still in progress)
	}
	prefixes := []string{ChunksDir + "/", DedupDir + "/", AppliedDir + "/"}
	if failed {
		if _, _, err := readCommitted(ctx, r.out); err == nil {
			failed = false // committed after all: its parts are the output
		} else {
			prefixes = append(prefixes, "attempts/")
		}
	}
	for _, prefix := range prefixes {
		keys, err := r.out.ListKeys(ctx, prefix)
		if err != nil {
			r.log.Warn("scratch files not removed", "error", err)
			return
		}
		for _, k := range keys {
			if !strings.HasPrefix(k, prefix) {
				continue
			}
			if err := r.out.Delete(ctx, k); err != nil {
				r.log.Warn("scratch file not removed", "error", err)
			}
		}
	}
}
