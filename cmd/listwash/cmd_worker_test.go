package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/infra/testenv"
	"github.com/listwash/listwash/jobs"
	"github.com/listwash/listwash/worker"
)

// stack is the distributed runtime on real servers: redis-server,
// versitygw, and an in-process watch and worker.
type stack struct {
	cfg    infra.Config
	bucket infra.Store
	insp   *asynq.Inspector
	watch  *runningWatch
	worker *runningWorker
	logs   *bytes.Buffer
}

// newStack starts the servers, uploads the demo registers and starts
// watch (sweeping every sweep, or never if sweep < 0) and one worker.
func newStack(t *testing.T, sweep time.Duration) *stack {
	t.Helper()
	redisAddr := testenv.Redis(t)
	s3env := testenv.S3Server(t)
	ctx := context.Background()
	cfg := infra.Config{Redis: infra.RedisFileConfig{Addr: redisAddr}, Bucket: s3env.Bucket,
		S3: infra.S3FileConfig{Endpoint: s3env.Endpoint, Region: s3env.Config.Region,
			AccessKeyID: s3env.Config.AccessKey, SecretAccessKey: s3env.Config.SecretKey},
		Worker:        infra.Worker{Concurrency: 2, Company: "Acme AB", ShutdownTimeout: 5 * time.Second},
		Listen:        infra.Listen{Metrics: "127.0.0.1:0", Watch: "127.0.0.1:0"},
		SweepInterval: sweep}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s := &stack{cfg: cfg, logs: &bytes.Buffer{}}
	var err error
	if s.bucket, err = infra.OpenStore(ctx, cfg.BucketURL(), cfg.S3Config()); err != nil {
		t.Fatal(err)
	}
	demo := filepath.Join("..", "..", "testdata", "demo")
	filepath.Walk(filepath.Join(demo, "registers"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			rel, _ := filepath.Rel(demo, p)
			data, _ := os.ReadFile(p)
			s.put(t, filepath.ToSlash(rel), data)
		}
		return err
	})
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: s.logs}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s.insp = infra.NewQueueInspector(cfg.RedisConfig())
	if s.watch, err = startWatch(ctx, cfg, logger); err != nil {
		t.Fatal(err)
	}
	if s.worker, err = startWorker(ctx, cfg, logger); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.watch.stop()
		s.worker.stop()
		s.insp.Close()
		if t.Failed() {
			t.Logf("runtime logs:\n%s", s.logs.String())
		}
	})
	return s
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// put uploads data and returns its ETag.
func (s *stack) put(t *testing.T, key string, data []byte) string {
	t.Helper()
	ctx := context.Background()
	w, err := s.bucket.Create(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := s.bucket.Stat(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	return info.ETag
}

// event is the notification an S3 server sends for a new object (keys
// URL-encoded, as S3 does).
// enqueue puts a wash:file task for p on the stack's queue directly (no
// event), with no retries.
func (s *stack) enqueue(t *testing.T, p jobs.WashFile) {
	t.Helper()
	task, err := jobs.NewWashFileTask(p, asynq.MaxRetry(0))
	if err != nil {
		t.Fatal(err)
	}
	client := infra.NewQueueClient(s.cfg.RedisConfig())
	defer client.Close()
	if _, err := client.Enqueue(task); err != nil {
		t.Fatal(err)
	}
}

// readObject reads a whole object of src.
func readObject(t *testing.T, src worker.Source, key string) []byte {
	t.Helper()
	rc, err := src.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return data
}

func (s *stack) event(key, etag string, size int) string {
	enc := strings.ReplaceAll(strings.ReplaceAll(key, "%", "%25"), " ", "+")
	return fmt.Sprintf(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put",`+
		`"s3":{"bucket":{"name":%q},"object":{"key":%q,"size":%d,"eTag":%q}}}]}`, s.cfg.Bucket, enc, size, etag)
}

func (s *stack) post(t *testing.T, body string) {
	t.Helper()
	resp, err := http.Post("http://"+s.watch.addr+"/events", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("webhook: %d %s", resp.StatusCode, b)
	}
}

// waitFinal polls the ledger until the run is final.
func (s *stack) waitFinal(t *testing.T, runID string, within time.Duration) worker.LedgerRecord {
	t.Helper()
	ledger := worker.Ledger{Store: infra.WithPrefix(s.bucket, s.cfg.Prefixes.Ledger)}
	deadline := time.Now().Add(within)
	for {
		rec, err := ledger.Get(context.Background(), runID)
		if err == nil && rec.Final() {
			return rec
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s not final after %v (record %+v, err %v)", runID, within, rec, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// manifests counts committed runs under washed/.
func (s *stack) manifests(t *testing.T) []string {
	t.Helper()
	keys, err := s.bucket.ListKeys(context.Background(), s.cfg.Prefixes.Washed)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range keys {
		if strings.HasSuffix(k, "/"+worker.ManifestKey) {
			out = append(out, k)
		}
	}
	return out
}

func (s *stack) metrics(t *testing.T) string {
	t.Helper()
	resp, err := http.Get("http://" + s.worker.metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func demoBytes(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "demo", "delivery.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestRuntimeEventWashesOnce: a file put into the inbox and its event
// POSTed three times is washed by the worker and committed once.
func TestRuntimeEventWashesOnce(t *testing.T) {
	s := newStack(t, -1)
	data := demoBytes(t)
	key := "inbox/exempel/leveranser 2026/delivery.csv"
	etag := s.put(t, key, data)
	ev := s.event(key, etag, len(data))
	for range 3 {
		s.post(t, ev)
	}
	runID := worker.RunID(s.cfg.BucketURL(), key, etag)
	rec := s.waitFinal(t, runID, 25*time.Second)
	if rec.Status != worker.StatusCommitted || rec.Counts == nil || rec.Counts.Rows != 2000 || rec.Counts.NIXListedRows == 0 {
		t.Fatalf("ledger %+v", rec)
	}
	// A late duplicate after the task completed: its id is retained.
	s.post(t, ev)
	time.Sleep(1500 * time.Millisecond) // a task would be picked up within a second
	if m := s.manifests(t); len(m) != 1 || m[0] != "washed/exempel/"+runID+"/"+worker.ManifestKey {
		t.Fatalf("manifests %v, want one at washed/exempel/%s/", m, runID)
	}
	info, err := s.insp.GetTaskInfo(jobs.QueueDefault, jobs.TaskID(s.cfg.BucketURL(), key, etag))
	if err != nil {
		t.Fatal(err)
	}
	if info.State != asynq.TaskStateCompleted || info.Retried != 0 {
		t.Fatalf("task state %v retried %d, want completed, 0", info.State, info.Retried)
	}
	var progress worker.Progress
	if err := json.Unmarshal(info.Result, &progress); err != nil || progress.Rows != 2000 || !progress.Done {
		t.Fatalf("task result %q: want the final progress", info.Result)
	}
	metrics := s.metrics(t)
	for _, want := range []string{`listwash_runs_total{status="committed"} 1`, "listwash_rows_washed_total 2000",
		`listwash_queue_tasks{queue="default",state="completed"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(metrics, "exempel") || strings.Contains(metrics, "delivery") {
		t.Errorf("metrics name a supplier or file")
	}
}

// TestRuntimeSweepFindsLostEvent: no event at all; the periodic sweep
// enqueues the file.
func TestRuntimeSweepFindsLostEvent(t *testing.T) {
	s := newStack(t, 300*time.Millisecond)
	key := "inbox/exempel/lost.csv"
	etag := s.put(t, key, demoBytes(t))
	rec := s.waitFinal(t, worker.RunID(s.cfg.BucketURL(), key, etag), 25*time.Second)
	if rec.Status != worker.StatusCommitted || rec.Counts.Rows != 2000 {
		t.Fatalf("ledger %+v", rec)
	}
	// Later sweeps see the committed run and enqueue nothing.
	st, err := s.watch.trigger.Sweep(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Enqueued != 0 || st.Done != 1 {
		t.Fatalf("sweep after commit %+v", st)
	}
}

// TestRuntimeBadFileFailsOnce: a binary file ends as a failed run in the
// ledger, archived without retries, with no output.
func TestRuntimeBadFileFailsOnce(t *testing.T) {
	s := newStack(t, -1)
	bin := make([]byte, 8192)
	for i := range bin {
		bin[i] = byte(i*31 + i/7)
	}
	key := "inbox/exempel/scan.csv"
	etag := s.put(t, key, bin)
	s.post(t, s.event(key, etag, len(bin)))
	rec := s.waitFinal(t, worker.RunID(s.cfg.BucketURL(), key, etag), 25*time.Second)
	if rec.Status != worker.StatusFailed || !strings.Contains(rec.Reason, "unsupported file format") {
		t.Fatalf("ledger %+v", rec)
	}
	id := jobs.TaskID(s.cfg.BucketURL(), key, etag)
	deadline := time.Now().Add(5 * time.Second)
	for {
		info, err := s.insp.GetTaskInfo(jobs.QueueDefault, id)
		if err == nil && info.State == asynq.TaskStateArchived {
			if info.Retried != 0 {
				t.Fatalf("bad file retried %d times", info.Retried)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("task not archived: %+v %v", info, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if m := s.manifests(t); len(m) != 0 {
		t.Fatalf("a bad file has output: %v", m)
	}

	// An infrastructure failure on the last try (an output bucket that
	// does not exist) is recorded too, once Asynq gives up.
	key = "inbox/exempel/nowhere.csv"
	data := demoBytes(t)
	etag = s.put(t, key, data)
	p := jobs.WashFile{RunID: worker.RunID(s.cfg.BucketURL(), key, etag), Supplier: "exempel",
		Input:  jobs.Ref{Store: s.cfg.BucketURL(), Key: key, Version: etag, Size: int64(len(data))},
		Output: "s3://no-such-bucket/washed", Options: jobs.Options{Mode: jobs.ModeMark, AsOf: "2026-11-01"}}
	s.enqueue(t, p)
	rec = s.waitFinal(t, p.RunID, 25*time.Second)
	if rec.Status != worker.StatusFailed || !strings.Contains(rec.Reason, "gave up after 1 attempts") {
		t.Fatalf("ledger %+v", rec)
	}
}

// TestRuntimeRacingWorkersCommitOnce: two workers given the same run at
// once (a lease lost to a slow worker) end with exactly one committed
// output, and the loser's files are gone.
func TestRuntimeRacingWorkersCommitOnce(t *testing.T) {
	s := newStack(t, -1)
	key := "inbox/exempel/race.csv"
	data := demoBytes(t)
	etag := s.put(t, key, data)
	p := jobs.WashFile{RunID: worker.RunID(s.cfg.BucketURL(), key, etag), Supplier: "exempel",
		Input:  jobs.Ref{Store: s.cfg.BucketURL(), Key: key, Version: etag, Size: int64(len(data))},
		Output: s.cfg.PrefixURL(s.cfg.Prefixes.Washed), Options: jobs.Options{Mode: jobs.ModeMark, AsOf: "2026-11-01"}}
	payload, _ := json.Marshal(p)
	ctx := context.Background()
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		stores, err := newRuntimeStores(ctx, s.cfg)
		if err != nil {
			t.Fatal(err)
		}
		h, err := newWashHandler(s.cfg, stores, nil, nil, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = h.ProcessTask(ctx, asynq.NewTask(jobs.TypeWashFile, payload))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("worker %d: %v", i, err)
		}
	}
	rec := s.waitFinal(t, p.RunID, time.Second)
	if rec.Status != worker.StatusCommitted || rec.Attempt == "" {
		t.Fatalf("ledger %+v", rec)
	}
	keys, err := s.bucket.ListKeys(ctx, "washed/exempel/"+p.RunID+"/")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		rest := strings.TrimPrefix(k, "washed/exempel/"+p.RunID+"/")
		if rest != worker.ManifestKey && !strings.HasPrefix(rest, "attempts/"+rec.Attempt+"/") {
			t.Fatalf("%s is neither the manifest nor a file of the committed attempt %s", k, rec.Attempt)
		}
	}
	if m := s.manifests(t); len(m) != 1 {
		t.Fatalf("manifests %v", m)
	}
}

// TestRuntimeCommands: a bad config stops each command at start with the
// field named; a running worker and watch stop cleanly when signalled.
func TestRuntimeCommands(t *testing.T) {
	for _, cmd := range []string{"worker", "watch", "serve"} {
		t.Run(cmd+" without bucket", func(t *testing.T) {
			t.Setenv("LISTWASH_BUCKET", "")
			t.Setenv("LISTWASH_CONFIG", "")
			code, _, stderr := runCLI(t, cmd)
			if code != 1 || !strings.Contains(stderr, "bucket: is required") {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
		})
	}
	redisAddr := testenv.Redis(t)
	t.Setenv("LISTWASH_REDIS_URL", "redis://"+redisAddr+"/0")
	t.Setenv("LISTWASH_BUCKET", "b-1")
	t.Setenv("LISTWASH_S3_ENDPOINT", "http://127.0.0.1:1") // never reached: no tasks
	t.Setenv("LISTWASH_METRICS_ADDR", "127.0.0.1:0")
	t.Setenv("LISTWASH_WATCH_ADDR", "127.0.0.1:0")
	t.Setenv("LISTWASH_SWEEP_INTERVAL", "-1s")
	for _, cmd := range []string{"worker", "watch"} {
		t.Run(cmd+" stops on signal", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			var stderr bytes.Buffer
			done := make(chan int)
			go func() { done <- run(ctx, []string{cmd}, io.Discard, &lockedWriter{w: &stderr}) }()
			time.Sleep(500 * time.Millisecond)
			cancel()
			select {
			case code := <-done:
				if code != 0 {
					t.Fatalf("exit %d: %s", code, stderr.String())
				}
			case <-time.After(15 * time.Second):
				t.Fatal("did not stop within 15 s of the signal")
			}
			if !strings.Contains(stderr.String(), cmd+" started") || !strings.Contains(stderr.String(), cmd+" stopped") {
				t.Fatalf("logs lack start/stop: %s", stderr.String())
			}
		})
	}
}
