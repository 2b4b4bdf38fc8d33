package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/listwash/listwash/formats"
)

// Output names: a contract other tools read.
const (
	ManifestKey  = "_manifest.json"
	ScorecardKey = "scorecard.json"
	RejectsKey   = "rejects.csv"
	RowsDir      = "rows"
	CallableDir  = "callable"
	MailableDir  = "mailable"
)

// Modes.
const (
	ModeMark = "mark" // keep every row with its marks
	ModeWash = "wash" // also write callable/ and mailable/ with contactable rows only
)

// Errors callers branch on.
var (
	// ErrCommitted: the output already holds a committed run.
	ErrCommitted = errors.New("output already holds a committed run (use --force to replace it)")
	// ErrAccounting: the written output does not add up; nothing is committed.
	ErrAccounting = errors.New("accounting check failed")
)

// OpenFunc opens a reader on a supplier file's bytes.
type OpenFunc func(r io.Reader, name string) (formats.Reader, error)

// StagesFunc builds the stages that follow parsing, once the file's header
// mapping is known.
type StagesFunc func(env Env, m formats.Mapping) ([]Stage, error)

// WashConfig describes one wash run. Zero values are documented per field.
type WashConfig struct {
	Env         Env
	In          Source
	InKey       string
	Out         Sink
	Open        OpenFunc   // required: how to read the file (formats.Open with a profile)
	Setup       *Setup     // registers and stage options; nil: parse and decide only
	Stages      StagesFunc // overrides Setup's stages (tests)
	Mode        string     // ModeMark (default) or ModeWash
	Force       bool       // replace a committed run in Out
	Workers     int        // 0: GOMAXPROCS
	Batch       int        // 0: DefaultBatchSize
	RowGroup    int64      // 0: formats.DefaultRowGroupRows
	PartRows    int64      // rows per Parquet part; 0: 4M
	CodeVersion string
	// Attempt, when set, puts every data file under attempts/<Attempt>/
	// and only the manifest at the root, listing them: concurrent attempts
	// of one run (Asynq retries, a worker presumed dead) never write the
	// same keys, and the one that loses the manifest race removes only its
	// own files. "": files at the root (the embedded layout).
	Attempt string
	// SpillDir holds the temp files of the rows between the reading and
	// the writing pass of a deduplicating wash (about 450 bytes a row), and
	// dedup's state above dedup.Config.SpillRows rows (about 250 bytes a
	// row); "" is the system's temp dir ($TMPDIR).
	SpillDir string
	Counters *Counters    // optional, for progress display
	Timer    *Timer       // optional: measures every stage (bench, metrics)
	Logger   *slog.Logger // nil: discard
}

// Manifest is _manifest.json: written last, with a conditional put. Readers
// trust only a folder that has one.
type Manifest struct {
	RunID       string         `json:"run_id"`
	Supplier    string         `json:"supplier"`
	Status      string         `json:"status"`
	Mode        string         `json:"mode"`
	Input       InputInfo      `json:"input"`
	CodeVersion string         `json:"code_version"`
	Registers   []RegisterInfo `json:"registers"`
	ValidUntil  string         `json:"valid_until,omitempty"`
	Counts      Counts         `json:"counts"`
	Files       []OutputFile   `json:"files"`
	Committed   time.Time      `json:"committed"`
}

// Result is what a committed run reports back.
type Result struct {
	Scorecard Scorecard
	Manifest  Manifest
	Elapsed   time.Duration
}

// Wash runs one supplier file through the pipeline and commits its output.
// On any error nothing is committed and the partial output is removed.
func Wash(ctx context.Context, cfg WashConfig) (res *Result, err error) {
	if cfg.Open == nil {
		return nil, errors.New("wash: no reader configured")
	}
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
	size, err := cfg.In.Size(ctx, cfg.InKey)
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", cfg.InKey, err)
	}
	log.Info("wash started", "input_bytes", size, "mode", cfg.Mode, "workers", cfg.Workers)
	defer func() {
		if err != nil {
			r.out.cleanup()
			log.Info("wash failed, partial output removed", "error", err)
		}
	}()

	stages, mapping, info, err := r.openStages(ctx)
	if err != nil {
		return nil, err
	}
	input := InputInfo{Name: cfg.InKey, Size: size, Read: info}
	pl, idx := findPlanner(stages)
	if pl == nil {
		return r.commit(ctx, started, input, mapping.Unmapped(), func(ctx context.Context, sink SinkFunc) (string, error) {
			return r.passHashed(ctx, stages, sink)
		})
	}
	// The planner needs the whole file before it can mark a row: the
	// reading pass runs the stages before it, Observes, and spills the
	// washed rows to local disk; after Plan the writing pass replays the
	// spill through the planner and the stages after it.
	spill, err := newRowSpill(cfg.SpillDir, cfg.Workers)
	if err != nil {
		return nil, err
	}
	defer spill.remove()
	cfg.Counters.Pass.Store(1)
	sum, err := r.passHashed(ctx, append(append([]Stage{}, stages[:idx]...), observe{pl}), spill.sink)
	if err != nil {
		return nil, err
	}
	if err := pl.Plan(ctx); err != nil {
		return nil, fmt.Errorf("stage %s: plan: %w", pl.Name(), err)
	}
	log.Info("first pass done", "records", cfg.Counters.Records.Load(), "spill_bytes", spill.bytes.Load(),
		"seconds", time.Since(started).Seconds())
	cfg.Counters.Pass.Store(2)
	cfg.Counters.Records.Store(0)
	cfg.Counters.BytesRead.Store(0)
	return r.commit(ctx, started, input, mapping.Unmapped(), func(ctx context.Context, sink SinkFunc) (string, error) {
		return sum, spill.replay(ctx, stages[idx:], sink, cfg.Workers, cfg.Counters, size)
	})
}

// newRun applies cfg's defaults and returns a run with its outputs.
func newRun(cfg WashConfig) (*run, error) {
	if cfg.Mode == "" {
		cfg.Mode = ModeMark
	}
	if cfg.Mode != ModeMark && cfg.Mode != ModeWash {
		return nil, fmt.Errorf("unknown mode %q (want %s or %s)", cfg.Mode, ModeMark, ModeWash)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.PartRows <= 0 {
		cfg.PartRows = 4 << 20
	}
	if cfg.Counters == nil {
		cfg.Counters = &Counters{}
	}
	if cfg.Setup == nil {
		cfg.Setup = &Setup{}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("run_id", cfg.Env.RunID)
	out := newOutputs(cfg.Out)
	if cfg.Attempt != "" {
		out.prefix = "attempts/" + cfg.Attempt + "/"
	}
	return &run{cfg: cfg, out: out, log: log, rs: &perRun{spillDir: cfg.SpillDir, log: log}}, nil
}

// feedFunc runs the final pass: every row once, through sink, counted in
// Counters.Records. It returns the input's SHA-256.
type feedFunc func(ctx context.Context, sink SinkFunc) (string, error)

// commit runs the final pass into the outputs, checks the accounting,
// reads the output back, writes the scorecard and commits the manifest.
// The caller removes the outputs if it fails.
func (r *run) commit(ctx context.Context, started time.Time, input InputInfo, unmapped []string, feed feedFunc) (*Result, error) {
	cfg, out, log := r.cfg, r.out, r.log
	sinkState, err := r.newSinkState(ctx)
	if err != nil {
		return nil, err
	}
	sum, err := feed(ctx, sinkState.sink)
	if err != nil {
		return nil, err // outputs.cleanup (deferred) removes every file written
	}
	input.SHA256 = sum
	t, err := sinkState.finish(ctx)
	if err != nil {
		return nil, err
	}
	log.Info("writing pass done", "rows", t.Rows, "seconds", time.Since(started).Seconds())
	if n := cfg.Counters.Records.Load(); n != t.Rows {
		return nil, fmt.Errorf("%w: read %d records, wrote %d rows", ErrAccounting, n, t.Rows)
	}
	if t.Rows == 0 {
		return nil, fmt.Errorf("%s: %w (the file has a header but no records)", cfg.InKey, formats.ErrNoData)
	}
	if err := verifyOutput(ctx, cfg.Out, out.prefix+RowsDir+"/", out.files(), t); err != nil {
		return nil, err
	}
	log.Info("output read back and checked", "seconds", time.Since(started).Seconds())

	return r.publish(ctx, started, input, unmapped, t, r.rs.dedupStats(), nil)
}

// publish writes the scorecard and commits the manifest of a run whose
// rows are written and checked: t is their tally, files the data files
// written by other processes (the applied chunks of a distributed run)
// besides this run's own.
func (r *run) publish(ctx context.Context, started time.Time, input InputInfo, unmapped []string, t *tally, ds *DedupStats, files []OutputFile) (*Result, error) {
	cfg, out, log := r.cfg, r.out, r.log
	sc := Scorecard{
		Supplier: cfg.Env.Supplier, RunID: cfg.Env.RunID, Company: cfg.Env.Company,
		AsOf: cfg.Env.AsOf.Format(time.DateOnly), Mode: cfg.Mode,
		Input:    input,
		Started:  started.UTC(),
		Finished: time.Now().UTC(), Registers: cfg.Setup.registerInfo(),
		Counts: t.Counts, Rates: t.Counts.Rates(), Reasons: t.reasons,
		UnmappedColumns: unmapped, Notes: cfg.Setup.notes(), Dedup: ds,
	}
	scJSON, err := json.MarshalIndent(sc, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := out.put(ctx, out.prefix+ScorecardKey, append(scJSON, '\n')); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err // never commit after cancellation
	}
	m := Manifest{
		RunID: cfg.Env.RunID, Supplier: cfg.Env.Supplier, Status: "committed", Mode: cfg.Mode,
		Input: sc.Input, CodeVersion: cfg.CodeVersion, Registers: sc.Registers,
		ValidUntil: t.validUntil, Counts: t.Counts, Files: append(files, out.files()...), Committed: time.Now().UTC(),
	}
	mJSON, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := cfg.Out.PutIfAbsent(ctx, ManifestKey, append(mJSON, '\n')); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("commit: another run committed first: %w", ErrCommitted)
		}
		return nil, fmt.Errorf("commit manifest: %w", err)
	}
	log.Info("wash committed", "rows", t.Rows, "rejected", t.RejectedRows, "callable", t.CallableRows,
		"files", len(m.Files), "seconds", time.Since(started).Seconds())
	if err := r.rs.afterCommit(ctx); err != nil {
		log.Error("after-commit step failed", "error", err)
	}
	return &Result{Scorecard: sc, Manifest: m, Elapsed: time.Since(started)}, nil
}

// prepareOut refuses an output that holds a committed run, unless force:
// then the old manifest goes first (so no reader trusts a half-deleted run),
// and the files it listed after it.
func prepareOut(ctx context.Context, out Sink, force bool) error {
	rc, err := out.Open(ctx, ManifestKey)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check output: %w", err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return fmt.Errorf("check output: %w", err)
	}
	if !force {
		return ErrCommitted
	}
	var old Manifest
	if err := json.Unmarshal(data, &old); err != nil {
		return fmt.Errorf("replace output: old manifest unreadable: %w", err)
	}
	if err := out.Delete(ctx, ManifestKey); err != nil {
		return fmt.Errorf("replace output: %w", err)
	}
	for _, f := range old.Files {
		if err := out.Delete(ctx, f.Key); err != nil {
			return fmt.Errorf("replace output: %w", err)
		}
	}
	return nil
}

type run struct {
	cfg WashConfig
	out *outputs
	log *slog.Logger
	rs  *perRun

	// For an applied chunk of a distributed run: the stem of its Parquet
	// part names ("part-" when empty) and the key of its rejects
	// (<prefix>rejects.csv when empty).
	partStem   string
	rejectsKey string
}

// openStages opens the input once to learn its header, and builds the
// stage list: parse first, then the configured stages.
func (r *run) openStages(ctx context.Context) ([]Stage, formats.Mapping, formats.Info, error) {
	rc, err := r.cfg.In.Open(ctx, r.cfg.InKey)
	if err != nil {
		return nil, formats.Mapping{}, formats.Info{}, fmt.Errorf("open input: %w", err)
	}
	defer rc.Close()
	rd, err := r.cfg.Open(rc, r.cfg.InKey)
	if err != nil {
		return nil, formats.Mapping{}, formats.Info{}, err
	}
	defer rd.Close()
	m, info := rd.Mapping(), rd.Info()
	stages := []Stage{NewParseStage(r.cfg.Env, m)}
	var more []Stage
	if r.cfg.Stages != nil {
		more, err = r.cfg.Stages(r.cfg.Env, m)
	} else {
		more, err = r.cfg.Setup.stages(ctx, r.cfg.Env, m, r.rs)
	}
	if err != nil {
		return nil, m, info, err
	}
	stages = append(stages, more...)
	if r.cfg.Timer != nil {
		stages = r.cfg.Timer.WrapAll(stages)
	}
	return stages, m, info, nil
}

// passHashed streams the input through stages once and returns its SHA-256.
func (r *run) passHashed(ctx context.Context, stages []Stage, sink SinkFunc) (string, error) {
	return r.streamInput(ctx, stages, sink, sha256.New())
}

func (r *run) streamInput(ctx context.Context, stages []Stage, sink SinkFunc, h hash.Hash) (string, error) {
	rc, err := r.cfg.In.Open(ctx, r.cfg.InKey)
	if err != nil {
		return "", fmt.Errorf("open input: %w", err)
	}
	defer rc.Close()
	var in io.Reader = rc
	if h != nil {
		in = io.TeeReader(rc, h)
	}
	rd, err := r.cfg.Open(in, r.cfg.InKey)
	if err != nil {
		return "", err
	}
	defer rd.Close()
	if sink == nil {
		sink = func(context.Context, int, *Batch) error { return nil }
	}
	p := &pass{reader: rd, stages: stages, sink: sink, workers: r.cfg.Workers,
		batchSize: r.cfg.Batch, counters: r.cfg.Counters}
	if err := p.run(ctx); err != nil {
		return "", err
	}
	if h == nil {
		return "", nil
	}
	// Hash whatever the reader did not consume (trailing bytes).
	if _, err := io.Copy(h, rc); err != nil {
		return "", fmt.Errorf("read input: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func findPlanner(stages []Stage) (Planner, int) {
	for i, s := range stages {
		if p, ok := s.(Planner); ok {
			return p, i
		}
	}
	return nil, -1
}

// observe runs a planner's Observe as an ordered stage of the first pass.
type observe struct{ p Planner }

func (o observe) Name() string { return o.p.Name() + ".observe" }
func (o observe) Process(ctx context.Context, b *Batch) error {
	err := o.p.Observe(ctx, b)
	if testHookObserved != nil {
		testHookObserved()
	}
	return err
}

func (o observe) Ordered() {}

// testHookObserved, set only by tests, runs after each batch is observed.
var testHookObserved func()

// sinkState is the write side of the final pass.
type sinkState struct {
	r        *run
	rows     *partSet
	callable *partSet
	mailable *partSet
	tallies  []*tally
	rejMu    sync.Mutex
	rejW     *hashedWriter
	rejects  *formats.RejectsWriter
	rejected int64
}

func (r *run) newSinkState(ctx context.Context) (*sinkState, error) {
	meta := map[string]string{"listwash.run_id": r.cfg.Env.RunID, "listwash.version": r.cfg.CodeVersion}
	s := &sinkState{r: r, tallies: make([]*tally, r.cfg.Workers)}
	stem, rejectsKey := r.partStem, r.rejectsKey
	if stem == "" {
		stem = "part-"
	}
	if rejectsKey == "" {
		rejectsKey = r.out.prefix + RejectsKey
	}
	s.rows = newPartSet(ctx, r.out, r.out.prefix+RowsDir, stem, r.cfg.Workers, r.cfg.RowGroup, r.cfg.PartRows, meta)
	if r.cfg.Mode == ModeWash {
		s.callable = newPartSet(ctx, r.out, r.out.prefix+CallableDir, stem, r.cfg.Workers, r.cfg.RowGroup, r.cfg.PartRows, meta)
		s.mailable = newPartSet(ctx, r.out, r.out.prefix+MailableDir, stem, r.cfg.Workers, r.cfg.RowGroup, r.cfg.PartRows, meta)
	}
	for i := range s.tallies {
		s.tallies[i] = newTally()
	}
	w, err := r.out.create(ctx, rejectsKey)
	if err != nil {
		return nil, err
	}
	s.rejW, s.rejects = w, formats.NewRejectsWriter(w)
	return s, nil
}

// sink counts, writes rejects, and writes the batch's rows.
func (s *sinkState) sink(ctx context.Context, w int, b *Batch) error {
	t := s.tallies[w]
	anyRejected := false
	for i := range b.Rows {
		t.count(&b.Rows[i])
		if b.Rows[i].Rejected {
			anyRejected = true
		}
	}
	if anyRejected {
		s.rejMu.Lock()
		for i := range b.Records {
			if b.Rows[i].Rejected {
				if err := s.rejects.Write(&b.Records[i]); err != nil {
					s.rejMu.Unlock()
					return fmt.Errorf("write rejects: %w", err)
				}
				s.rejected++
			}
		}
		s.rejMu.Unlock()
	}
	if err := s.rows.write(w, b.Rows); err != nil {
		return err
	}
	if s.callable != nil {
		if err := s.writeWhere(s.callable, w, b, func(r *formats.Row) bool { return r.Callable }); err != nil {
			return err
		}
		if err := s.writeWhere(s.mailable, w, b, func(r *formats.Row) bool { return r.Mailable }); err != nil {
			return err
		}
	}
	return nil
}

// writeWhere writes the rows matching keep. It moves them to the front of
// a scratch copy rather than allocating per row.
func (s *sinkState) writeWhere(ps *partSet, w int, b *Batch, keep func(*formats.Row) bool) error {
	sel := make([]formats.Row, 0, 64)
	for i := range b.Rows {
		if keep(&b.Rows[i]) {
			sel = append(sel, b.Rows[i])
		}
	}
	return ps.write(w, sel)
}

// finish closes the parts, writes rejects.csv and returns the total tally.
func (s *sinkState) finish(ctx context.Context) (*tally, error) {
	for _, ps := range []*partSet{s.rows, s.callable, s.mailable} {
		if ps == nil {
			continue
		}
		if err := ps.close(); err != nil {
			return nil, err
		}
	}
	if err := s.rejects.Close(); err != nil {
		return nil, fmt.Errorf("write rejects: %w", err)
	}
	if err := s.r.out.commit(s.rejW, s.rejected); err != nil {
		return nil, err
	}
	total := newTally()
	for _, t := range s.tallies {
		total.add(t)
	}
	total.finish()
	if total.RejectedRows != s.rejected {
		return nil, fmt.Errorf("%w: %d rejected rows but %d lines in %s", ErrAccounting, total.RejectedRows, s.rejected, RejectsKey)
	}
	return total, nil
}
