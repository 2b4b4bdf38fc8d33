package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/jobs"
	"github.com/listwash/listwash/worker/dedup"
)

// versioned adapts an infra store to Store (as cmd does).
type versioned struct{ infra.Store }

func (s versioned) ObjectVersion(ctx context.Context, key string) (string, error) {
	info, err := s.Stat(ctx, key)
	return info.ETag, err
}

// handlerEnv is a bucket in a local folder: inbox/, washed/, ledger/.
type handlerEnv struct {
	root   string
	h      *Handler
	ledger Ledger
	opens  int
	broken func(key string) bool // inputs whose reads fail mid-stream
}

func newHandlerEnv(t *testing.T) *handlerEnv {
	t.Helper()
	e := &handlerEnv{root: t.TempDir()}
	ledger, err := infra.NewLocalStore(filepath.Join(e.root, "ledger"))
	if err != nil {
		t.Fatal(err)
	}
	regs, err := infra.NewLocalReader(filepath.Join("..", "testdata", "demo", "registers"))
	if err != nil {
		t.Fatal(err)
	}
	e.ledger = Ledger{ledger}
	attempts := 0
	e.h, err = NewHandler(HandlerConfig{
		Open: func(ctx context.Context, url string) (Store, error) {
			st, err := infra.OpenStore(ctx, url, infra.S3Config{})
			if err != nil {
				return nil, err
			}
			e.opens++
			if e.broken != nil {
				return brokenReads{versioned{st}, e.broken}, nil
			}
			return versioned{st}, nil
		},
		Ledger: ledger, Registers: regs, Workers: 2,
		NewAttempt: func(retry int) string { attempts++; return "a" + string(rune('0'+attempts)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// put writes an inbox file and returns the wash:file payload for it.
func (e *handlerEnv) put(t *testing.T, supplier, name string, data []byte) jobs.WashFile {
	t.Helper()
	dir := filepath.Join(e.root, "inbox", supplier)
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	st, _ := infra.NewLocalReader(filepath.Join(e.root, "inbox"))
	info, err := st.Stat(context.Background(), supplier+"/"+name)
	if err != nil {
		t.Fatal(err)
	}
	key := supplier + "/" + name
	store := "file://" + filepath.Join(e.root, "inbox")
	return jobs.WashFile{RunID: RunID(store, key, info.ETag), Supplier: supplier,
		Input:   jobs.Ref{Store: store, Key: key, Version: info.ETag, Size: info.Size},
		Output:  "file://" + filepath.Join(e.root, "washed"),
		Options: jobs.Options{Mode: jobs.ModeMark, Company: "Acme AB", AsOf: "2026-11-01"}}
}

func (e *handlerEnv) process(t *testing.T, p jobs.WashFile) error {
	t.Helper()
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return e.h.ProcessTask(context.Background(), asynq.NewTask(jobs.TypeWashFile, data))
}

func (e *handlerEnv) record(t *testing.T, runID string) LedgerRecord {
	t.Helper()
	rec, err := e.ledger.Get(context.Background(), runID)
	if err != nil {
		t.Fatalf("ledger record of %s: %v", runID, err)
	}
	return rec
}

func demoDelivery(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "demo", "delivery.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestHandlerCommitsOnceAndRecords(t *testing.T) {
	e := newHandlerEnv(t)
	p := e.put(t, "exempel", "delivery.csv", demoDelivery(t))
	if err := e.process(t, p); err != nil {
		t.Fatalf("first attempt: %v", err)
	}
	rec := e.record(t, p.RunID)
	if rec.Status != StatusCommitted || rec.Counts == nil || rec.Counts.Rows != 2000 || rec.Attempt != "a1" ||
		rec.Input.SHA256 == "" || rec.Input.Key != "exempel/delivery.csv" {
		t.Fatalf("ledger record = %+v", rec)
	}
	if rec.Counts.NIXListedRows == 0 {
		t.Fatalf("registers not used: %+v", rec.Counts)
	}
	manifest := filepath.Join(e.root, "washed", "exempel", p.RunID, ManifestKey)
	if _, err := os.Stat(manifest); err != nil {
		t.Fatalf("no manifest at washed/<supplier>/<run_id>/: %v", err)
	}
	first, _ := os.ReadFile(filepath.Join(e.root, "ledger", LedgerKey(p.RunID)))

	// A duplicate delivery of the same task: nothing is washed again.
	if err := e.process(t, p); err != nil {
		t.Fatalf("duplicate: %v", err)
	}
	// Even with the ledger lost: Wash finds the manifest, and the record
	// written again is byte for byte the same.
	os.Remove(filepath.Join(e.root, "ledger", LedgerKey(p.RunID)))
	if err := e.process(t, p); err != nil {
		t.Fatalf("duplicate without ledger: %v", err)
	}
	again, _ := os.ReadFile(filepath.Join(e.root, "ledger", LedgerKey(p.RunID)))
	if string(first) != string(again) {
		t.Fatalf("ledger record is not a function of the committed state:\n%s\n%s", first, again)
	}
	attempts, _ := os.ReadDir(filepath.Join(e.root, "washed", "exempel", p.RunID, "attempts"))
	if len(attempts) != 1 {
		t.Fatalf("%d attempt folders, want 1", len(attempts))
	}
}

// HandlerConfig.Dedup reaches every run: with SpillRows 1 the run's dedup
// state goes to temp files, as its log says, and the counts are those of
// a run in memory.
func TestHandlerDedupConfig(t *testing.T) {
	var counts []*Counts
	for _, spill := range []int{-1, 1} {
		e := newHandlerEnv(t)
		var logs bytes.Buffer
		e.h.cfg.Dedup = dedup.Config{SpillRows: spill}
		e.h.log = slog.New(slog.NewTextHandler(&logs, nil))
		p := e.put(t, "exempel", "delivery.csv", demoDelivery(t))
		if err := e.process(t, p); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("spilled=%v", spill > 0); !strings.Contains(logs.String(), `msg="dedup planned"`) ||
			!strings.Contains(logs.String(), want) {
			t.Fatalf("SpillRows %d: no dedup log line with %s:\n%s", spill, want, logs.String())
		}
		counts = append(counts, e.record(t, p.RunID).Counts)
	}
	if counts[0] == nil || counts[0].DuplicateRows == 0 || *counts[0] != *counts[1] {
		t.Fatalf("counts in memory %+v, spilled %+v: want equal, with duplicates", counts[0], counts[1])
	}
}

func TestHandlerBadInputs(t *testing.T) {
	binary := make([]byte, 4096)
	for i := range binary {
		binary[i] = byte(i * 7)
	}
	tests := []struct {
		name   string
		data   []byte
		mutate func(e *handlerEnv, p *jobs.WashFile)
		reason string
	}{
		{"binary file", binary, nil, "unsupported file format"},
		{"header only", []byte("Förnamn;Efternamn;Telefon\r\n"), nil, "no data rows"},
		{"empty file", nil, nil, "no data rows"},
		{"changed since enqueued", []byte("a;b\r\n1;2\r\n"), func(_ *handlerEnv, p *jobs.WashFile) { p.Input.Version = "0123" }, "input changed"},
		{"deleted since enqueued", []byte("a;b\r\n1;2\r\n"), func(e *handlerEnv, p *jobs.WashFile) {
			os.Remove(filepath.Join(e.root, "inbox", p.Input.Key))
		}, "input no longer exists"},
		{"missing profile", demoDelivery(t), func(_ *handlerEnv, p *jobs.WashFile) { p.Options.Profile = "profiles/x.yaml" }, "bad profile"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newHandlerEnv(t)
			p := e.put(t, "sup", "file.csv", tc.data)
			if tc.mutate != nil {
				tc.mutate(e, &p)
			}
			err := e.process(t, p)
			if !errors.Is(err, asynq.SkipRetry) {
				t.Fatalf("err = %v, want SkipRetry", err)
			}
			rec := e.record(t, p.RunID)
			if rec.Status != StatusFailed || !strings.Contains(rec.Reason, tc.reason) || rec.Finished.IsZero() {
				t.Fatalf("ledger = %+v, want failed with %q", rec, tc.reason)
			}
			if _, err := os.Stat(filepath.Join(e.root, "washed", "sup", p.RunID, ManifestKey)); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("a failed run has a manifest: %v", err)
			}
			// A late duplicate of a failed run does nothing.
			if err := e.process(t, p); err != nil {
				t.Fatalf("duplicate of a failed run: %v", err)
			}
		})
	}
}

func TestHandlerInvalidPayload(t *testing.T) {
	e := newHandlerEnv(t)
	err := e.h.ProcessTask(context.Background(), asynq.NewTask(jobs.TypeWashFile, []byte(`{"run_id":"../x"}`)))
	if !errors.Is(err, asynq.SkipRetry) || !errors.Is(err, jobs.ErrInvalidPayload) {
		t.Fatalf("err = %v, want SkipRetry and ErrInvalidPayload", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(e.root, "ledger")); len(ents) != 0 {
		t.Fatalf("ledger has %d records for an invalid payload", len(ents))
	}
}

// TestHandlerReadErrorIsRetried: a store failing mid-stream is
// infrastructure, even though the CSV reader wraps it in a ParseError.
func TestHandlerReadErrorIsRetried(t *testing.T) {
	e := newHandlerEnv(t)
	p := e.put(t, "sup", "delivery.csv", demoDelivery(t))
	e.broken = func(key string) bool { return key == p.Input.Key }
	err := e.process(t, p)
	if err == nil || errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("err = %v, want a retryable error", err)
	}
	if rec := e.record(t, p.RunID); rec.Status != StatusRunning {
		t.Fatalf("ledger = %+v, want running (not final)", rec)
	}
	if _, err := os.Stat(filepath.Join(e.root, "washed", "sup", p.RunID, ManifestKey)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("manifest after a failed read: %v", err)
	}
	// The retry, with the store healthy again, commits.
	e.broken = nil
	if err := e.process(t, p); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if rec := e.record(t, p.RunID); rec.Status != StatusCommitted || rec.Attempt != "a2" {
		t.Fatalf("ledger after retry = %+v", rec)
	}
}

func TestBadInputClassification(t *testing.T) {
	tests := []struct {
		name string
		err  error
		bad  bool
	}{
		{"unsupported", &formats.ParseError{File: "f.csv", Err: formats.ErrUnsupported}, true},
		{"gone", errors.Join(errors.New("x"), ErrInputGone), true},
		{"accounting", ErrAccounting, true},
		{"network", errors.New("dial tcp: connection refused"), false},
		{"read error in a parse error", &formats.ParseError{File: "f.csv", Line: 3, Err: &inputReadError{io.ErrUnexpectedEOF}}, false},
		{"committed", ErrCommitted, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := BadInput(tc.err); got != tc.bad {
				t.Fatalf("BadInput(%v) = %v, want %v", tc.err, got, tc.bad)
			}
		})
	}
}

// brokenReads fails reads of some keys after the first bytes.
type brokenReads struct {
	Store
	broken func(string) bool
}

func (b brokenReads) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := b.Store.Open(ctx, key)
	if err != nil || !b.broken(key) {
		return rc, err
	}
	return &failAfter{rc: rc, left: 20000}, nil
}

type failAfter struct {
	rc   io.ReadCloser
	left int
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.left <= 0 {
		return 0, errors.New("connection reset by peer")
	}
	if len(p) > f.left {
		p = p[:f.left]
	}
	n, err := f.rc.Read(p)
	f.left -= n
	return n, err
}
func (f *failAfter) Close() error { return f.rc.Close() }
