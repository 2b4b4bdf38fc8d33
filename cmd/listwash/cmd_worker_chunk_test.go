package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/infra/testenv"
	"github.com/listwash/listwash/jobs"
	"github.com/listwash/listwash/worker"
	"github.com/listwash/listwash/worker/gen"
)

// TestRuntimeChunkedWashEqualsEmbedded: a generated delivery above the
// chunk size is planned, washed in chunks by three workers and merged;
// its rows, marks and counts equal those of the embedded wash.
func TestRuntimeChunkedWashEqualsEmbedded(t *testing.T) {
	rows := 60000
	if testing.Short() {
		rows = 15000
	}
	ctx := context.Background()
	dir, data, asOf := generateDelivery(t, rows, 5, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	cfg, _ := chunkedRuntimeConfig(t, 2)
	cfg.Worker.DedupPartitions = 3
	var err error
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

	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: s.logs}, nil))
	for range 3 {
		w, err := startWorker(ctx, cfg, logger)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.stop)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("runtime logs:\n%s", s.logs.String())
		}
	})
	p := jobs.WashFile{RunID: worker.RunID(cfg.BucketURL(), key, etag), Supplier: "gen",
		Input:  jobs.Ref{Store: cfg.BucketURL(), Key: key, Version: etag, Size: int64(len(data))},
		Output: cfg.PrefixURL(cfg.Prefixes.Washed), Options: jobs.Options{Mode: jobs.ModeMark, AsOf: "2026-11-01", Company: "Acme AB"}}
	task, err := jobs.NewWashFileTask(p)
	if err != nil {
		t.Fatal(err)
	}
	client := infra.NewQueueClient(cfg.RedisConfig())
	defer client.Close()
	started := time.Now()
	if _, err := client.Enqueue(task); err != nil {
		t.Fatal(err)
	}
	rec := s.waitFinal(t, p.RunID, 50*time.Second)
	t.Logf("%d rows washed in chunks by 3 workers in %v", rows, time.Since(started))
	if rec.Status != worker.StatusCommitted {
		t.Fatalf("ledger %+v", rec)
	}
	if !strings.Contains(s.logs.String(), `"input planned"`) {
		t.Fatal("the file was not planned into chunks")
	}
	if n := strings.Count(s.logs.String(), `"partition matched"`); n < 3 {
		t.Fatalf("%d dedup partitions matched by wash:match tasks, want 3", n)
	}
	if m := s.manifests(t); len(m) != 1 {
		t.Fatalf("manifests %v", m)
	}

	// The embedded wash of the same file.
	regs, _ := infra.NewLocalReader(filepath.Join(dir, "registers"))
	setup, err := worker.LoadSetup(ctx, regs, worker.RegisterOptions("SE"))
	if err != nil {
		t.Fatal(err)
	}
	in, _ := infra.NewLocalReader(dir)
	out, _ := infra.NewLocalStore(filepath.Join(t.TempDir(), "embedded"))
	res, err := worker.Wash(ctx, worker.WashConfig{Env: worker.Env{RunID: p.RunID, Supplier: "gen", Company: "Acme AB",
		AsOf: asOf, DefaultCountry: "SE", SourceFile: "delivery.csv"}, In: in, InKey: "delivery.csv", Out: out, Setup: setup,
		Open: func(r io.Reader, name string) (formats.Reader, error) {
			return formats.Open(r, formats.Options{Name: name})
		}})
	if err != nil {
		t.Fatal(err)
	}
	run := infra.WithPrefix(s.bucket, "washed/gen/"+p.RunID+"/")
	var m worker.Manifest
	mustJSON(t, run, worker.ManifestKey, &m)
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
		t.Fatalf("%d rows chunked, %d embedded", len(got), len(want))
	}
	for line, w := range want {
		if g, ok := got[line]; !ok || !reflect.DeepEqual(rowKey(g), rowKey(w)) {
			t.Fatalf("line %d differs:\nchunked  %+v\nembedded %+v", line, g, w)
		}
	}
	keys := scratchKeys(ctx, run)
	if len(keys) != 0 {
		t.Fatalf("scratch files left after the commit: %v", keys)
	}
}

// scratchKeys lists what a chunked run keeps only until it is final: its
// chunks, dedup plan and applied chunks' scratch.
func scratchKeys(ctx context.Context, run worker.Sink) []string {
	var keys []string
	for _, dir := range []string{worker.ChunksDir, worker.DedupDir, worker.AppliedDir} {
		k, _ := run.ListKeys(ctx, dir+"/")
		keys = append(keys, k...)
	}
	return keys
}

func mustJSON(t *testing.T, src worker.Source, key string, v any) {
	t.Helper()
	rc, err := src.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if err := json.NewDecoder(rc).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// bucketRows reads the rows/ parts a manifest lists.
func bucketRows(t *testing.T, src worker.Source, files []worker.OutputFile) map[int64]formats.Row {
	t.Helper()
	out := map[int64]formats.Row{}
	for _, f := range files {
		if !strings.Contains(f.Key, worker.RowsDir+"/") {
			continue
		}
		pf := openPart(t, src, f.Key)
		r := parquet.NewGenericReader[formats.Row](pf)
		buf := make([]formats.Row, 256)
		for {
			n, err := r.Read(buf)
			for _, w := range buf[:n] {
				out[w.SourceLine] = w
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

// openPart opens one Parquet part of an output store.
func openPart(t *testing.T, src worker.Source, key string) *parquet.File {
	t.Helper()
	data := readObject(t, src, key)
	pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return pf
}

// rowKey makes nil and empty lists equal (Parquet does not tell them apart).
func rowKey(r formats.Row) formats.Row {
	for _, s := range []*[]string{&r.Phones, &r.Reasons, &r.Extra} {
		if len(*s) == 0 {
			*s = nil
		}
	}
	return r
}

// generateDelivery writes a generated delivery (5% defects, registers, truth)
// into a temporary folder and returns the folder and the delivery's bytes.
func generateDelivery(t *testing.T, rows int, seed uint64, asOf time.Time) (dir string, data []byte, _ time.Time) {
	t.Helper()
	dir = t.TempDir()
	gc := gen.DefaultConfig()
	gc.Rows, gc.Seed, gc.AsOf, gc.Company, gc.DefectRate = rows, seed, asOf, "Acme AB", 0.05
	if _, err := gen.Generate(context.Background(), gc, dir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "delivery.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, data, asOf
}

// chunkedRuntimeConfig starts a real redis-server and versitygw and returns
// a validated runtime config for them that chunks files from 1 MiB.
func chunkedRuntimeConfig(t *testing.T, concurrency int) (infra.Config, *testenv.S3Env) {
	t.Helper()
	redisAddr := testenv.Redis(t)
	s3env := testenv.S3Server(t)
	cfg := infra.Config{Redis: infra.RedisFileConfig{Addr: redisAddr}, Bucket: s3env.Bucket,
		S3: infra.S3FileConfig{Endpoint: s3env.Endpoint, Region: s3env.Config.Region,
			AccessKeyID: s3env.Config.AccessKey, SecretAccessKey: s3env.Config.SecretKey},
		Worker: infra.Worker{Concurrency: concurrency, Company: "Acme AB", ShutdownTimeout: 5 * time.Second,
			ChunkSize: 1 << 20},
		Listen: infra.Listen{Metrics: "off", Watch: "127.0.0.1:0"}, SweepInterval: -1}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg, s3env
}
