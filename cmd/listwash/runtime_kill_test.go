//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/jobs"
	"github.com/listwash/listwash/worker"
)

// reexecEnv makes the test binary behave as the listwash binary: tests
// start real worker processes without a separate go build.
const reexecEnv = "LISTWASH_TEST_REEXEC_MAIN"

func init() {
	if os.Getenv(reexecEnv) == "1" {
		main() // exits
	}
}

// workerProc is a `listwash worker` subprocess.
type workerProc struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
	logs   *lockedWriter
}

// startWorkerProc starts `listwash worker --config file` as a child
// process that dies with the test binary.
func startWorkerProc(t *testing.T, name, config string) *workerProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "worker", "--config", config)
	cmd.Env = append(os.Environ(), reexecEnv+"=1")
	w := &workerProc{name: name, cmd: cmd, exited: make(chan struct{}), logs: &lockedWriter{w: &bytes.Buffer{}}}
	cmd.Stdout, cmd.Stderr = w.logs, w.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		close(w.exited)
	}()
	t.Cleanup(func() {
		w.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-w.exited:
		case <-time.After(10 * time.Second):
			w.cmd.Process.Kill()
			<-w.exited
		}
		if t.Failed() {
			t.Logf("%s (pid %d) logs:\n%s", w.name, w.cmd.Process.Pid, w.logs.w.(*bytes.Buffer).String())
		}
	})
	return w
}

// TestRuntimeWorkerKilledMidChunk: a worker process plans a generated
// delivery into chunks and is SIGKILLed while it washes one; two more
// worker processes wash the other chunks. Asynq hands the orphaned chunk
// to another worker once its lease has expired, and the run is committed
// once with every row, equal to the embedded wash.
//
// Asynq v0.26 has no setting for this: a lease lasts 30 s
// (rdb.LeaseDuration, extended by the heartbeat every 5 s), the recoverer
// only takes tasks whose lease expired at least 30 s ago (clock skew
// margin) and runs when a server starts and then once a minute. So the
// test waits for the orphaned task (lease expired, ≤ 30 s after the kill),
// then 30 s more, and starts a fresh worker, whose recoverer runs at once
// (the survivors' own recoverers may be first, a minute after their
// start): about 80 s in all.
func TestRuntimeWorkerKilledMidChunk(t *testing.T) {
	const rows = 30000 // ~2.9 MB: 3 chunks of 1 MiB, ~2 s each under -race
	testStart := time.Now()
	ctx := context.Background()
	dir, data, _ := generateDelivery(t, rows, 11, time.Now().UTC().Truncate(24*time.Hour))
	cfg, s3env := chunkedRuntimeConfig(t, 1)
	redisAddr := cfg.Redis.Addr
	var err error
	config := filepath.Join(t.TempDir(), "listwash.yaml")
	yaml := fmt.Sprintf("redis:\n  addr: %q\ns3:\n  endpoint: %q\n  region: %q\n  access_key_id: %q\n  secret_access_key: %q\n"+
		"bucket: %q\nworker:\n  concurrency: 1\n  chunk_size: %d\n  shutdown_timeout: 5s\n  company: \"Acme AB\"\n"+
		"listen:\n  metrics: \"off\"\nsweep_interval: -1s\n",
		redisAddr, s3env.Endpoint, s3env.Config.Region, s3env.Config.AccessKey, s3env.Config.SecretKey,
		s3env.Bucket, cfg.Worker.ChunkSize)
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	s := &stack{cfg: cfg, logs: &bytes.Buffer{}}
	if s.bucket, err = infra.OpenStore(ctx, cfg.BucketURL(), cfg.S3Config()); err != nil {
		t.Fatal(err)
	}
	filepath.Walk(filepath.Join(dir, "registers"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			b, _ := os.ReadFile(p)
			s.put(t, filepath.ToSlash(rel), b)
		}
		return err
	})
	key := "inbox/gen/delivery.csv"
	etag := s.put(t, key, data)
	runID := worker.RunID(cfg.BucketURL(), key, etag)
	run := infra.WithPrefix(s.bucket, "washed/gen/"+runID+"/")

	s.insp = infra.NewQueueInspector(cfg.RedisConfig())
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: s.logs}, nil))
	if s.watch, err = startWatch(ctx, cfg, logger); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.watch.stop()
		s.insp.Close()
		if t.Failed() {
			t.Logf("watch logs:\n%s", s.logs.String())
		}
	})
	// One worker first: it plans the file and starts on a chunk, so the
	// process running the chunk is known for certain.
	victim := startWorkerProc(t, "worker 0 (killed)", config)
	procs := []*workerProc{victim}
	defer func() { // stop them all at once; each one's cleanup waits for it
		for _, p := range procs {
			p.cmd.Process.Signal(syscall.SIGTERM)
		}
	}()

	started := time.Now()
	t.Logf("setup took %v", started.Sub(testStart).Round(time.Millisecond))
	s.post(t, s.event(key, etag, len(data)))
	deadline := time.Now().Add(60 * time.Second)
	for active := false; !active; {
		tasks, err := s.insp.ListActiveTasks(jobs.QueueBulk)
		if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			t.Fatal(err)
		}
		for _, a := range tasks {
			active = active || a.Type == jobs.TypeWashChunk
		}
		if !active && time.Now().After(deadline) {
			t.Fatal("no chunk task active within 60 s of the event")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.exited
	killed := time.Now()
	t.Logf("SIGKILLed %s (pid %d) %v after the event", victim.name, victim.cmd.Process.Pid, killed.Sub(started).Round(time.Millisecond))
	for i := 1; i <= 2; i++ {
		procs = append(procs, startWorkerProc(t, fmt.Sprintf("worker %d", i), config))
	}

	// Its task stays active with a lease nobody extends: orphaned once the
	// lease (30 s) runs out.
	var orphan *asynq.TaskInfo
	for orphan == nil {
		active, err := s.insp.ListActiveTasks(jobs.QueueBulk)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range active {
			if a.IsOrphaned {
				if orphan != nil {
					t.Fatalf("two orphaned tasks (%s, %s): one process held one task", orphan.ID, a.ID)
				}
				orphan = a
			}
		}
		if orphan == nil && time.Since(killed) > 40*time.Second {
			t.Fatal("no orphaned task 40 s after the kill: the killed worker held no task")
		}
		time.Sleep(250 * time.Millisecond)
	}
	orphaned := time.Now()
	if orphan.Type != jobs.TypeWashChunk {
		t.Fatalf("orphaned task is %s, want %s", orphan.Type, jobs.TypeWashChunk)
	}
	cp, err := jobs.ParseWashChunk(orphan.Payload)
	if err != nil {
		t.Fatal(err)
	}
	// Killed mid-chunk: the chunk has no done marker and the run waits
	// for it while the survivors wash the rest.
	if _, err := run.Stat(ctx, worker.ChunkDoneKey(cp.Chunk)); !errors.Is(err, infra.ErrNotFound) {
		t.Fatalf("chunk %d of the killed worker has a done marker (stat error %v): it was not killed mid-chunk", cp.Chunk, err)
	}
	if rec, err := (worker.Ledger{Store: infra.WithPrefix(s.bucket, cfg.Prefixes.Ledger)}).Get(ctx, runID); err == nil && rec.Final() {
		t.Fatalf("run final without chunk %d: %+v", cp.Chunk, rec)
	}
	t.Logf("chunk %d of %d orphaned %v after the kill", cp.Chunk, cp.Chunks, orphaned.Sub(killed).Round(time.Millisecond))

	// The recoverer takes a task 30 s after its lease expired; a worker's
	// recoverer runs when it starts. Meanwhile: the embedded wash of the
	// same file, to compare with.
	embedded, embeddedOut := embeddedWash(t, dir, runID, jobs.TaskID(cfg.BucketURL(), key, etag), s)
	t.Logf("embedded wash done %v after the event", time.Since(started).Round(time.Millisecond))
	time.Sleep(time.Until(orphaned.Add(31 * time.Second)))
	procs = append(procs, startWorkerProc(t, "worker 3 (fresh)", config))

	rec := s.waitFinal(t, runID, 90*time.Second)
	t.Logf("run final %v after the event (%v after the kill)", time.Since(started).Round(time.Millisecond),
		time.Since(killed).Round(time.Millisecond))
	if rec.Status != worker.StatusCommitted || rec.Counts == nil || rec.Counts.Rows != rows {
		t.Fatalf("ledger %+v, want committed with %d rows", rec, rows)
	}
	info, err := s.insp.GetTaskInfo(jobs.QueueBulk, orphan.ID)
	if err != nil {
		t.Fatal(err)
	}
	if info.State != asynq.TaskStateCompleted || info.Retried != 1 || !strings.Contains(info.LastErr, asynq.ErrLeaseExpired.Error()) {
		t.Fatalf("killed chunk task: state %v, retried %d, last error %q; want completed after one retry for an expired lease",
			info.State, info.Retried, info.LastErr)
	}

	if m := s.manifests(t); len(m) != 1 || m[0] != "washed/gen/"+runID+"/"+worker.ManifestKey {
		t.Fatalf("manifests %v, want one for run %s", m, runID)
	}
	var m worker.Manifest
	mustJSON(t, run, worker.ManifestKey, &m)
	if m.Counts.Rows != rows {
		t.Fatalf("manifest counts %d rows, want %d", m.Counts.Rows, rows)
	}
	if n := parquetRows(t, run, m.Files); n != rows {
		t.Fatalf("rows files hold %d rows, want %d", n, rows)
	}
	compareEmbedded(t, run, m, embedded, embeddedOut)
	t.Logf("compared %v after the event", time.Since(started).Round(time.Millisecond))
	if keys := scratchKeys(ctx, run); len(keys) != 0 {
		t.Fatalf("scratch files left after the commit: %v", keys)
	}
}

// parquetRows counts the rows of the rows/ parts a manifest lists and
// checks them against the manifest's per-file counts.
func parquetRows(t *testing.T, src worker.Source, files []worker.OutputFile) int64 {
	t.Helper()
	var total int64
	for _, f := range files {
		if !strings.Contains(f.Key, worker.RowsDir+"/") {
			continue
		}
		pf := openPart(t, src, f.Key)
		if f.Rows != 0 && pf.NumRows() != f.Rows {
			t.Fatalf("%s: %d rows, manifest says %d", f.Key, pf.NumRows(), f.Rows)
		}
		total += pf.NumRows()
	}
	return total
}

// embeddedWash washes the generated delivery in-process (worker.Wash, no
// chunks) with the options of the run's wash:file task.
func embeddedWash(t *testing.T, dir, runID, taskID string, s *stack) (*worker.Result, worker.Source) {
	t.Helper()
	ctx := context.Background()
	task, err := s.insp.GetTaskInfo(jobs.QueueBulk, taskID)
	if errors.Is(err, asynq.ErrTaskNotFound) {
		task, err = s.insp.GetTaskInfo(jobs.QueueDefault, taskID)
	}
	if err != nil {
		t.Fatalf("wash:file task: %v", err)
	}
	wf, err := jobs.ParseWashFile(task.Payload)
	if err != nil {
		t.Fatal(err)
	}
	asOf, err := time.Parse(jobs.AsOfLayout, wf.Options.AsOf)
	if err != nil {
		t.Fatal(err)
	}
	regs, _ := infra.NewLocalReader(filepath.Join(dir, "registers"))
	setup, err := worker.LoadSetup(ctx, regs, worker.RegisterOptions("SE"))
	if err != nil {
		t.Fatal(err)
	}
	in, _ := infra.NewLocalReader(dir)
	out, _ := infra.NewLocalStore(filepath.Join(t.TempDir(), "embedded"))
	res, err := worker.Wash(ctx, worker.WashConfig{Env: worker.Env{RunID: runID, Supplier: "gen", Company: wf.Options.Company,
		AsOf: asOf, DefaultCountry: "SE", SourceFile: "delivery.csv"}, In: in, InKey: "delivery.csv", Out: out, Setup: setup,
		Mode: wf.Options.Mode,
		Open: func(r io.Reader, name string) (formats.Reader, error) {
			return formats.Open(r, formats.Options{Name: name})
		}})
	if err != nil {
		t.Fatal(err)
	}
	return res, out
}

// compareEmbedded compares the committed run's scorecard and rows with
// the embedded wash's.
func compareEmbedded(t *testing.T, run worker.Source, m worker.Manifest, res *worker.Result, out worker.Source) {
	t.Helper()
	var sc worker.Scorecard
	for _, f := range m.Files {
		if strings.HasSuffix(f.Key, worker.ScorecardKey) {
			mustJSON(t, run, f.Key, &sc)
		}
	}
	if sc.Counts != res.Scorecard.Counts || !reflect.DeepEqual(sc.Dedup, res.Scorecard.Dedup) ||
		!reflect.DeepEqual(sc.Reasons, res.Scorecard.Reasons) || sc.Input.SHA256 != res.Scorecard.Input.SHA256 {
		t.Fatalf("scorecards differ:\nchunked  %+v\nembedded %+v", sc, res.Scorecard)
	}
	got := bucketRows(t, run, m.Files)
	want := bucketRows(t, out, res.Manifest.Files)
	if len(got) != len(want) || int64(len(got)) != sc.Counts.Rows {
		t.Fatalf("%d rows chunked, %d embedded, scorecard %d", len(got), len(want), sc.Counts.Rows)
	}
	for line, w := range want {
		if g, ok := got[line]; !ok || !reflect.DeepEqual(rowKey(g), rowKey(w)) {
			t.Fatalf("line %d differs:\nchunked  %+v\nembedded %+v", line, g, w)
		}
	}
}
