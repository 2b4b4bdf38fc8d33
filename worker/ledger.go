package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Ledger statuses. A run is final once committed or failed.
const (
	StatusRunning   = "running"   // an attempt started; not final
	StatusCommitted = "committed" // the output's manifest is written
	StatusFailed    = "failed"    // the input cannot be washed; retrying will not help
)

// LedgerRecord is ledger/<run_id>.json: one small record per run, for
// operators and the inbox sweep. It holds no personal data: keys, versions,
// checksums, counts and a reason built from error strings (which never
// carry cell values).
type LedgerRecord struct {
	RunID    string      `json:"run_id"`
	Supplier string      `json:"supplier"`
	Input    LedgerInput `json:"input"`
	Output   string      `json:"output"` // store URL of the run's folder
	Status   string      `json:"status"`
	Reason   string      `json:"reason,omitempty"` // why a run failed
	// Attempt is the attempt whose files the manifest lists (committed),
	// or the attempt that failed or is running.
	Attempt     string    `json:"attempt"`
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished,omitzero"`
	Counts      *Counts   `json:"counts,omitempty"`
	CodeVersion string    `json:"code_version,omitempty"`
}

// LedgerInput names the input version a run washed.
type LedgerInput struct {
	Store   string `json:"store"`
	Key     string `json:"key"`
	Version string `json:"version"`          // ETag or version id the task named
	Size    int64  `json:"size"`             // bytes
	SHA256  string `json:"sha256,omitempty"` // of the bytes washed (committed runs)
}

// Final reports whether the run needs no more work.
func (r LedgerRecord) Final() bool { return r.Status == StatusCommitted || r.Status == StatusFailed }

// LedgerStore is where the ledger lives (the ledger/ prefix of the bucket).
// Create overwrites: a record moves from running to its final status.
type LedgerStore interface {
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	Create(ctx context.Context, key string) (io.WriteCloser, error)
}

// Ledger reads and writes run records.
type Ledger struct{ Store LedgerStore }

// LedgerKey is the key of a run's record in the ledger store.
func LedgerKey(runID string) string { return runID + ".json" }

// Get returns the run's record, or an error matching fs.ErrNotExist.
func (l Ledger) Get(ctx context.Context, runID string) (LedgerRecord, error) {
	rc, err := l.Store.Open(ctx, LedgerKey(runID))
	if err != nil {
		return LedgerRecord{}, err
	}
	defer rc.Close()
	var rec LedgerRecord
	if err := json.NewDecoder(io.LimitReader(rc, 1<<20)).Decode(&rec); err != nil {
		return LedgerRecord{}, fmt.Errorf("ledger %s: %w", runID, err)
	}
	return rec, nil
}

// Put writes rec, replacing any earlier record of the run. The bytes are
// a function of rec only, so two workers writing the same state write the
// same object.
func (l Ledger) Put(ctx context.Context, rec LedgerRecord) error {
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	w, err := l.Store.Create(ctx, LedgerKey(rec.RunID))
	if err != nil {
		return fmt.Errorf("ledger %s: %w", rec.RunID, err)
	}
	if _, err := w.Write(append(data, '\n')); err != nil {
		if a, ok := w.(interface{ Abort() error }); ok {
			a.Abort()
		}
		return fmt.Errorf("ledger %s: %w", rec.RunID, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("ledger %s: %w", rec.RunID, err)
	}
	return nil
}

// CommittedRecord is the ledger record of a committed run: a pure function
// of the run's manifest and scorecard, which never change once written.
// Every worker that finds the run committed (the winner, or a loser of the
// commit race, or a late retry) writes the same bytes.
func CommittedRecord(base LedgerRecord, m Manifest, sc *Scorecard) LedgerRecord {
	rec := base
	rec.Status, rec.Reason = StatusCommitted, ""
	rec.Attempt = manifestAttempt(m)
	rec.Input.SHA256 = m.Input.SHA256
	rec.Input.Size = m.Input.Size
	rec.Finished = m.Committed
	rec.Started = m.Committed
	if sc != nil && !sc.Started.IsZero() {
		rec.Started = sc.Started
	}
	counts := m.Counts
	rec.Counts = &counts
	rec.CodeVersion = m.CodeVersion
	return rec
}

// manifestAttempt is the attempt whose files the manifest lists
// ("attempts/<id>/..."); "" for the embedded layout.
func manifestAttempt(m Manifest) string {
	for _, f := range m.Files {
		if rest, ok := strings.CutPrefix(f.Key, "attempts/"); ok {
			if id, _, ok := strings.Cut(rest, "/"); ok {
				return id
			}
		}
	}
	return ""
}

// readCommitted returns the committed run in out: its manifest and (if
// readable) its scorecard; an error matching fs.ErrNotExist if none.
func readCommitted(ctx context.Context, out Source) (Manifest, *Scorecard, error) {
	var m Manifest
	if err := readJSON(ctx, out, ManifestKey, &m); err != nil {
		return Manifest{}, nil, err
	}
	for _, f := range m.Files {
		if f.Key == ScorecardKey || strings.HasSuffix(f.Key, "/"+ScorecardKey) {
			var sc Scorecard
			if err := readJSON(ctx, out, f.Key, &sc); err == nil {
				return m, &sc, nil
			}
		}
	}
	return m, nil, nil
}

func readJSON(ctx context.Context, src Source, key string, v any) error {
	rc, err := src.Open(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := json.NewDecoder(rc).Decode(v); err != nil {
		return fmt.Errorf("read %s: %w", key, err)
	}
	return nil
}
