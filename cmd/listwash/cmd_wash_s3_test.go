package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/infra/testenv"
	"github.com/listwash/listwash/worker"
)

// s3CLI starts a real S3-compatible server (versitygw), points the CLI's
// S3 environment at it, and returns it with its bucket as a store.
func s3CLI(t *testing.T) (*testenv.S3Env, infra.Store) {
	t.Helper()
	env := testenv.S3Server(t)
	t.Setenv("LISTWASH_S3_ENDPOINT", env.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", env.Config.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", env.Config.SecretKey)
	t.Setenv("LISTWASH_S3_REGION", env.Config.Region)
	bucket, err := infra.OpenStore(context.Background(), "s3://"+env.Bucket, infra.S3ConfigFromEnv())
	if err != nil {
		t.Fatal(err)
	}
	return env, bucket
}

// TestWashAgainstS3 washes the demo delivery with --in, --registers and
// --out all on a real S3-compatible server (versitygw), as a data team
// would in production, and checks the committed output in the bucket.
func TestWashAgainstS3(t *testing.T) {
	env, bucket := s3CLI(t)
	ctx := context.Background()
	demo := filepath.Join("..", "..", "testdata", "demo")
	upload := func(local, key string) {
		data, err := os.ReadFile(local)
		if err != nil {
			t.Fatal(err)
		}
		w, err := bucket.Create(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	upload(filepath.Join(demo, "delivery.csv"), "inbox/exempel/delivery.csv")
	filepath.Walk(filepath.Join(demo, "registers"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			rel, _ := filepath.Rel(demo, p)
			upload(p, filepath.ToSlash(rel))
		}
		return err
	})

	// Snapshots are built in the bucket, and the wash loads NIX from one.
	if code, _, stderr := runCLI(t, "registers", "build", "--registers", "s3://"+env.Bucket+"/registers"); code != 0 {
		t.Fatalf("registers build on S3: exit %d: %s", code, stderr)
	}
	snaps, err := bucket.ListKeys(ctx, "registers/nix/_snapshot/")
	if err != nil || len(snaps) != 1 {
		t.Fatalf("snapshots in the bucket: %v %v", snaps, err)
	}
	code, info, stderr := runCLI(t, "registers", "info", "--registers", "s3://"+env.Bucket+"/registers")
	if code != 0 || !strings.Contains(info, "nix") {
		t.Fatalf("registers info on S3: exit %d: %s %s", code, info, stderr)
	}

	out := "s3://" + env.Bucket + "/washed/exempel/run1"
	code, stdout, stderr := runCLI(t, "wash", "--in", "s3://"+env.Bucket+"/inbox/exempel/delivery.csv",
		"--registers", "s3://"+env.Bucket+"/registers", "--out", out,
		"--company", "Acme AB", "--asof", "2026-11-01", "--supplier", "exempel", "--run-id", "run1", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sc worker.Scorecard
	if err := json.Unmarshal([]byte(stdout), &sc); err != nil {
		t.Fatalf("--json output: %v", err)
	}
	if sc.Counts.Rows != 2000 || sc.Counts.NIXListedRows == 0 || sc.Counts.DeceasedRows == 0 {
		t.Fatalf("counts %+v: want 2000 rows with NIX and deceased marks from the S3 registers", sc.Counts)
	}
	rc, err := bucket.Open(ctx, "washed/exempel/run1/"+worker.ManifestKey)
	if err != nil {
		t.Fatalf("no manifest in the bucket: %v", err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	var m worker.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Files {
		size, err := bucket.Size(ctx, "washed/exempel/run1/"+f.Key)
		if err != nil || size != f.Size {
			t.Fatalf("manifest file %s: size %d err %v, manifest says %d", f.Key, size, err, f.Size)
		}
	}
	// The same output again is refused: the manifest is a conditional put.
	code, _, stderr = runCLI(t, "wash", "--in", "s3://"+env.Bucket+"/inbox/exempel/delivery.csv", "--out", out, "--quiet")
	if code != 1 || !strings.Contains(stderr, "already holds a committed run") {
		t.Fatalf("second run into the same prefix: exit %d %q", code, stderr)
	}
}
