package worker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/jobs"
	"github.com/listwash/listwash/worker/dedup"
	"github.com/listwash/listwash/worker/registers"
)

// Store is a store the runtime reads inputs from and writes outputs to.
// cmd adapts infra's stores to it.
type Store interface {
	Sink
	// ObjectVersion returns the object's current version (its ETag,
	// unquoted), or an error matching fs.ErrNotExist.
	ObjectVersion(ctx context.Context, key string) (string, error)
}

// StoreOpener opens the store at a URL ("s3://bucket/prefix", a path).
type StoreOpener func(ctx context.Context, url string) (Store, error)

// RunObserver receives what a run measured, for metrics. Labels it gets
// are statuses and stage names, never data.
type RunObserver interface {
	ObserveRun(status string, rows int64, elapsed time.Duration)
	ObserveStage(stage string, busy time.Duration, rows int64)
}

// HandlerConfig configures the wash:file handler. Zero values are
// documented per field.
type HandlerConfig struct {
	Open   StoreOpener // required: opens the input and output stores named in payloads
	Ledger LedgerStore // required: the ledger/ prefix
	// Registers is the registers folder; nil: no registers (every run's
	// scorecard says so).
	Registers registers.Source
	// RegisterOptions are the normalisers and forget keys (RegisterOptions
	// plus ForgetKeys). Its Cache is set to a process-wide one if nil, so
	// each register version loads once per process.
	RegisterOptions registers.LoadOptions
	// Profiles is where Options.Profile keys are read; nil: a task naming
	// a profile fails.
	Profiles Source
	// Index is the cross-delivery contact index; nil: dedup within a
	// delivery only. IndexKey must be set with it.
	Index    dedup.IndexStore
	IndexKey dedup.IndexKey
	// Dedup tunes deduplication (spill threshold, match threshold); zero
	// values are dedup's defaults.
	Dedup   dedup.Config
	Country string // default phone country; "": SE
	Workers int    // goroutines per wash; 0: GOMAXPROCS
	// ProgressEvery is how often progress is written to the task's result
	// (asynq ResultWriter). 0: 2s.
	ProgressEvery time.Duration
	CodeVersion   string
	Observer      RunObserver  // nil: none
	Logger        *slog.Logger // nil: discard
	// NewAttempt makes an attempt id from the task's retry count. nil:
	// "<retry>-<8 random hex>".
	NewAttempt func(retry int) string
	// ChunkSize is the input size from which an uncompressed delimited
	// file is split into wash:chunk tasks of about this many bytes and
	// finished by a wash:merge task. 0, or a nil Enqueuer: every file is
	// washed whole.
	ChunkSize int64
	// MatchParts is the number of dedup partitions of a chunked run, each
	// compared by a wash:match task on any worker; 0: none, the merge
	// compares every row itself (see docs/runtime.md for when to split).
	MatchParts int
	// Enqueuer enqueues the chunk and merge tasks (an *asynq.Client).
	Enqueuer Enqueuer
}

// Handler runs wash:file tasks. It is an asynq.Handler.
type Handler struct {
	cfg    HandlerConfig
	ledger Ledger
	log    *slog.Logger
}

// Errors the handler classifies as a bad input.
var (
	// ErrInputChanged: the input object is not the version the task named.
	ErrInputChanged = errors.New("input changed since the task was enqueued")
	// ErrInputGone: the input object no longer exists.
	ErrInputGone = errors.New("input no longer exists")
)

// NewHandler checks cfg and returns a handler.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	if cfg.Open == nil || cfg.Ledger == nil {
		return nil, errors.New("handler: Open and Ledger are required")
	}
	if cfg.Registers != nil && cfg.RegisterOptions.PhoneKey == nil {
		cfg.RegisterOptions = RegisterOptions(cfg.Country)
	}
	if cfg.RegisterOptions.Cache == nil {
		cfg.RegisterOptions.Cache = &registers.Cache{}
	}
	if cfg.Country == "" {
		cfg.Country = "SE"
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = 2 * time.Second
	}
	if cfg.NewAttempt == nil {
		cfg.NewAttempt = randomAttempt
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{cfg: cfg, ledger: Ledger{cfg.Ledger}, log: log}, nil
}

func randomAttempt(retry int) string {
	var b [4]byte
	rand.Read(b[:])
	return strconv.Itoa(retry) + "-" + hex.EncodeToString(b[:])
}

// RegisterCache is the process-wide register cache the handler uses.
func (h *Handler) RegisterCache() *registers.Cache { return h.cfg.RegisterOptions.Cache }

// OutputURL is where a run's output goes: <output>/<supplier>/<run_id>.
func OutputURL(p jobs.WashFile) string {
	return strings.TrimSuffix(p.Output, "/") + "/" + p.Supplier + "/" + p.RunID
}

// ProcessTask washes the file a wash:file task names. Errors are
// classified here, once: a bad payload or a bad input ends the task
// (asynq.SkipRetry; a bad input also as a failed run in the ledger); an
// infrastructure failure is returned as is, so Asynq retries it with
// backoff. A run already committed is success.
func (h *Handler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	p, err := jobs.ParseWashFile(t.Payload())
	if err != nil {
		h.log.Error("wash task rejected", "error", err)
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	retry, _ := asynq.GetRetryCount(ctx)
	maxRetry, lastKnown := asynq.GetMaxRetry(ctx)
	r := &taskRun{h: h, p: p, attempt: h.cfg.NewAttempt(retry), started: time.Now().UTC(),
		log: h.log.With("run_id", p.RunID, "supplier", p.Supplier), result: t.ResultWriter()}
	r.log = r.log.With("attempt", r.attempt)
	status, err := r.run(ctx)
	if h.cfg.Observer != nil && status != "" {
		h.cfg.Observer.ObserveRun(status, r.rows, time.Since(r.started))
	}
	if err != nil && !errors.Is(err, asynq.SkipRetry) && lastKnown && retry >= maxRetry && ctx.Err() == nil {
		// The last try of an infrastructure failure: say so in the ledger.
		if werr := r.recordFailed(context.WithoutCancel(ctx), fmt.Sprintf("gave up after %d attempts: %v", retry+1, err)); werr != nil {
			r.log.Error("failed run not recorded", "error", werr)
		}
	}
	return err
}

// taskRun is one attempt of one run.
type taskRun struct {
	h       *Handler
	p       jobs.WashFile
	attempt string
	started time.Time
	log     *slog.Logger
	result  *asynq.ResultWriter
	out     Store
	rows    int64
}

// Outcomes for RunObserver.
const (
	outcomeCommitted = StatusCommitted
	outcomeFailed    = StatusFailed
	outcomeDuplicate = "duplicate" // already committed or failed: nothing done
	outcomeRetry     = "retry"     // infrastructure failure, retried
	outcomePlanned   = "planned"   // split into chunks; the merge commits
)

func (r *taskRun) base() LedgerRecord {
	return LedgerRecord{RunID: r.p.RunID, Supplier: r.p.Supplier, Output: OutputURL(r.p),
		Input: LedgerInput{Store: r.p.Input.Store, Key: r.p.Input.Key, Version: r.p.Input.Version, Size: r.p.Input.Size}}
}

func (r *taskRun) run(ctx context.Context) (string, error) {
	h := r.h
	out, err := h.cfg.Open(ctx, OutputURL(r.p))
	if err != nil {
		return outcomeRetry, fmt.Errorf("open output: %w", err)
	}
	r.out = out
	if rec, err := h.ledger.Get(ctx, r.p.RunID); err == nil && rec.Final() {
		r.log.Info("run already final, nothing to do", "status", rec.Status)
		return outcomeDuplicate, nil
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return outcomeRetry, fmt.Errorf("read ledger: %w", err)
	}
	in, err := h.cfg.Open(ctx, r.p.Input.Store)
	if err != nil {
		return outcomeRetry, fmt.Errorf("open input store: %w", err)
	}
	src := &pinnedSource{Store: in, key: r.p.Input.Key, version: r.p.Input.Version}
	if err := src.check(ctx); err != nil {
		return r.classify(ctx, err)
	}
	running := r.base()
	running.Status, running.Attempt, running.Started, running.CodeVersion = StatusRunning, r.attempt, r.started, h.cfg.CodeVersion
	if err := h.ledger.Put(ctx, running); err != nil {
		return outcomeRetry, err
	}
	setup, profile, err := r.setup(ctx)
	if err != nil {
		return r.classify(ctx, err)
	}
	open := openWith(profile)
	if h.cfg.ChunkSize > 0 && h.cfg.Enqueuer != nil && r.p.Input.Size >= h.cfg.ChunkSize {
		planned, err := r.planChunks(ctx, src, open)
		if err != nil {
			return r.classify(ctx, err)
		}
		if planned {
			return outcomePlanned, nil
		}
	}
	asOf, _ := time.Parse(jobs.AsOfLayout, r.p.Options.AsOf) // validated
	counters := &Counters{}
	timer := &Timer{}
	stop := r.reportProgress(counters)
	res, err := Wash(ctx, WashConfig{
		Env: Env{RunID: r.p.RunID, Supplier: r.p.Supplier, Company: r.p.Options.Company, AsOf: asOf,
			DefaultCountry: h.cfg.Country, SourceFile: baseName(r.p.Input.Key)},
		In: src, InKey: r.p.Input.Key, Out: out, Open: open, Setup: setup, Mode: r.p.Options.Mode,
		Workers: h.cfg.Workers, CodeVersion: h.cfg.CodeVersion, Attempt: r.attempt,
		Counters: counters, Timer: timer, Logger: r.log,
	})
	stop()
	r.rows = counters.Records.Load()
	if err != nil {
		return r.classify(ctx, err)
	}
	if h.cfg.Observer != nil {
		for _, st := range timer.Times() {
			h.cfg.Observer.ObserveStage(st.Stage, st.Busy, st.Rows)
		}
	}
	r.writeProgress(counters, true)
	if err := h.ledger.Put(ctx, CommittedRecord(r.base(), res.Manifest, &res.Scorecard)); err != nil {
		// The run is committed; a retry finds it so and writes the record.
		return outcomeRetry, fmt.Errorf("committed, but the ledger record failed: %w", err)
	}
	return outcomeCommitted, nil
}

// openWith is the OpenFunc of a profile (nil: detect everything).
func openWith(profile *formats.Profile) OpenFunc {
	return func(rd io.Reader, name string) (formats.Reader, error) {
		return formats.Open(rd, formats.Options{Name: name, Profile: profile})
	}
}

// setup loads the registers (through the cache) and the profile.
func (r *taskRun) setup(ctx context.Context) (*Setup, *formats.Profile, error) {
	h := r.h
	setup := &Setup{}
	if h.cfg.Registers != nil {
		s, err := LoadSetup(ctx, h.cfg.Registers, h.cfg.RegisterOptions)
		if err != nil {
			return nil, nil, fmt.Errorf("load registers: %w", err)
		}
		setup = s
	}
	setup.Index, setup.IndexKey, setup.Dedup = h.cfg.Index, h.cfg.IndexKey, h.cfg.Dedup
	var profile *formats.Profile
	if key := r.p.Options.Profile; key != "" {
		if h.cfg.Profiles == nil {
			return nil, nil, fmt.Errorf("profile %s: %w (no profiles store configured)", key, formats.ErrBadProfile)
		}
		rc, err := h.cfg.Profiles.Open(ctx, key)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("profile %s: %w: not found", key, formats.ErrBadProfile)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("profile %s: %w", key, err)
		}
		profile, err = formats.LoadProfile(rc)
		rc.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("profile %s: %w", key, err)
		}
	}
	return setup, profile, nil
}

// classify turns a failed attempt into the task's result: committed by
// another attempt (success), a bad input (a failed run, no retry), or an
// infrastructure failure (retried).
func (r *taskRun) classify(ctx context.Context, err error) (string, error) {
	switch {
	case errors.Is(err, ErrCommitted):
		if err := r.recordCommitted(ctx); err != nil {
			return outcomeRetry, err
		}
		r.log.Info("run already committed")
		return outcomeDuplicate, nil
	case ctx.Err() != nil:
		return outcomeRetry, fmt.Errorf("wash cancelled: %w", err)
	case BadInput(err):
		reason := err.Error()
		r.log.Warn("input cannot be washed", "reason", reason)
		if werr := r.recordFailed(ctx, reason); werr != nil {
			return outcomeRetry, werr
		}
		return outcomeFailed, fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	r.log.Warn("wash attempt failed, will retry", "error", err)
	return outcomeRetry, err
}

// BadInput reports whether err means the input itself cannot be washed:
// retrying cannot help. Read errors of the input's stream are not (they
// are infrastructure), even when the reader wraps them in a ParseError.
func BadInput(err error) bool {
	var rd *inputReadError
	if errors.As(err, &rd) {
		return false
	}
	var pe *formats.ParseError
	return errors.Is(err, formats.ErrUnsupported) || errors.Is(err, formats.ErrNoData) ||
		errors.As(err, &pe) || errors.Is(err, ErrAccounting) || errors.Is(err, formats.ErrBadProfile) ||
		errors.Is(err, ErrInputChanged) || errors.Is(err, ErrInputGone)
}

// recordCommitted writes the ledger record of the run committed in out.
func (r *taskRun) recordCommitted(ctx context.Context) error {
	m, sc, err := readCommitted(ctx, r.out)
	if err != nil {
		return fmt.Errorf("read committed manifest: %w", err)
	}
	return r.h.ledger.Put(ctx, CommittedRecord(r.base(), m, sc))
}

// recordFailed writes a failed record, unless the run is committed (then
// the committed record: a committed output always wins).
func (r *taskRun) recordFailed(ctx context.Context, reason string) error {
	if r.out != nil {
		if _, _, err := readCommitted(ctx, r.out); err == nil {
			return r.recordCommitted(ctx)
		}
	}
	if len(reason) > 1000 {
		reason = reason[:1000] + "..."
	}
	rec := r.base()
	rec.Status, rec.Reason, rec.Attempt = StatusFailed, reason, r.attempt
	rec.Started, rec.Finished, rec.CodeVersion = r.started, time.Now().UTC(), r.h.cfg.CodeVersion
	return r.h.ledger.Put(ctx, rec)
}

// Progress is what a running wash writes to its task's result.
type Progress struct {
	Rows  int64 `json:"rows"`
	Bytes int64 `json:"bytes"`
	Pass  int32 `json:"pass,omitempty"`
	Done  bool  `json:"done,omitempty"`
}

func (r *taskRun) reportProgress(c *Counters) (stop func()) {
	if r.result == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(r.h.cfg.ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				r.writeProgress(c, false)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func (r *taskRun) writeProgress(c *Counters, done bool) {
	if r.result == nil {
		return
	}
	data, _ := json.Marshal(Progress{Rows: c.Records.Load(), Bytes: c.BytesRead.Load(), Pass: c.Pass.Load(), Done: done})
	if _, err := r.result.Write(data); err != nil {
		r.log.Debug("progress not written", "error", err)
	}
}

// pinnedSource reads the input only while it is still the version the
// task named, and marks errors of the input stream as read errors
// (infrastructure), so a ParseError around them is not taken for a bad
// file. Other keys pass through.
type pinnedSource struct {
	Store
	key, version string
}

func (s *pinnedSource) check(ctx context.Context) error {
	v, err := s.ObjectVersion(ctx, s.key)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: %w", s.key, ErrInputGone)
	case err != nil:
		return fmt.Errorf("stat input: %w", err)
	case normaliseVersion(v) != normaliseVersion(s.version):
		return fmt.Errorf("%s: %w (now version %s, the task names %s)", s.key, ErrInputChanged, v, s.version)
	}
	return nil
}

func (s *pinnedSource) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if key != s.key {
		return s.Store.Open(ctx, key)
	}
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	rc, err := s.Store.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	return &readErrorMarker{rc}, nil
}

// normaliseVersion strips the quotes S3 puts around ETags.
func normaliseVersion(v string) string { return strings.Trim(v, `"`) }

type readErrorMarker struct{ io.ReadCloser }

func (m *readErrorMarker) Read(p []byte) (int, error) {
	n, err := m.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = &inputReadError{err}
	}
	return n, err
}

// inputReadError is a failure reading the input's bytes from the store.
type inputReadError struct{ err error }

func (e *inputReadError) Error() string { return e.err.Error() }
func (e *inputReadError) Unwrap() error { return e.err }

func baseName(key string) string {
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[i+1:]
	}
	return key
}
