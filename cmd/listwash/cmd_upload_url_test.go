package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/infra/testenv"
	"github.com/listwash/listwash/jobs"
)

// recordingEnqueuer keeps the tasks a trigger enqueues.
type recordingEnqueuer struct{ tasks []*asynq.Task }

func (r *recordingEnqueuer) Enqueue(task *asynq.Task, _ ...asynq.Option) (*asynq.TaskInfo, error) {
	r.tasks = append(r.tasks, task)
	return &asynq.TaskInfo{}, nil
}

// putURL uploads body to a presigned URL with plain net/http: no SDK, no
// credentials.
func putURL(t *testing.T, url string, header map[string]string, body []byte) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// once is the header a default upload URL is signed with.
var once = map[string]string{"If-None-Match": "*"}

// field returns the value of the "name: value" line of out.
func field(t *testing.T, out, name string) string {
	t.Helper()
	for line := range strings.Lines(out) {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %s: line in\n%s", name, out)
	return ""
}

// TestUploadURL: upload-url against a real versitygw. A supplier uploads
// to the printed URL without credentials (net/http, and the printed curl
// line run by a shell), the object lands at inbox/<supplier>/<file>, and
// the watcher's sweep enqueues its wash.
func TestUploadURL(t *testing.T) {
	e := testenv.S3Server(t)
	for _, v := range []string{"LISTWASH_CONFIG", "LISTWASH_BUCKET", "LISTWASH_S3_ENDPOINT", "LISTWASH_PREFIX_INBOX",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		t.Setenv(v, "")
	}
	dir := t.TempDir()
	conf := writeFile(t, dir, "listwash.yaml", []byte("bucket: "+e.Bucket+"\ns3:\n  endpoint: "+e.Endpoint+
		"\n  region: us-east-1\n  access_key_id: "+e.Config.AccessKey+"\n  secret_access_key: "+e.Config.SecretKey+"\n"))
	cfg, err := infra.LoadConfig(conf, nil)
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := infra.NewS3Store(t.Context(), cfg.S3Config(), cfg.Bucket, "")
	if err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "gen", "--out", dir, "--rows", "50"); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, stderr)
	}
	delivery, err := os.ReadFile(filepath.Join(dir, "delivery.csv"))
	if err != nil {
		t.Fatal(err)
	}
	stored := func(t *testing.T, key string) []byte {
		t.Helper()
		r, err := bucket.Open(t.Context(), key)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	noSecrets := func(t *testing.T, outs ...string) {
		t.Helper()
		for _, o := range outs {
			if strings.Contains(o, e.Config.SecretKey) {
				t.Fatal("output holds the secret key")
			}
		}
	}

	t.Run("text", func(t *testing.T) {
		start := time.Now().UTC().Truncate(time.Second)
		code, out, errOut := runCLI(t, "upload-url", "--config", conf, "--supplier", "acme", "--name", "leverans mars.csv", "--expires", "2h")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		noSecrets(t, out, errOut)
		if got := field(t, out, "key"); got != "s3://"+e.Bucket+"/inbox/acme/leverans mars.csv" {
			t.Fatalf("key line %q", got)
		}
		exp, err := time.Parse(time.RFC3339, strings.Fields(field(t, out, "expires"))[0])
		if err != nil {
			t.Fatal(err)
		}
		if d := exp.Sub(start); d < 2*time.Hour || d > 2*time.Hour+2*time.Second {
			t.Fatalf("expires %v, %v after the start", exp, d)
		}
		url := field(t, out, "url")
		if !strings.HasPrefix(url, e.Endpoint+"/"+e.Bucket+"/inbox/acme/leverans%20mars.csv?") {
			t.Fatalf("url %s", url)
		}
		if !strings.Contains(out, "\ncurl --fail-with-body -T 'leverans mars.csv' -H 'If-None-Match: *' '"+url+"'\n") {
			t.Fatalf("no curl line for the URL in\n%s", out)
		}
		if code := putURL(t, url, once, delivery); code != http.StatusOK {
			t.Fatalf("PUT: %d", code)
		}
		// The URL uploads once: a second PUT cannot replace the delivery.
		if code := putURL(t, url, once, []byte("replaced")); code != http.StatusPreconditionFailed {
			t.Fatalf("second PUT: %d, want 412", code)
		}
		if got := stored(t, "inbox/acme/leverans mars.csv"); !bytes.Equal(got, delivery) {
			t.Fatalf("stored %d bytes, want the %d uploaded", len(got), len(delivery))
		}
	})

	t.Run("printed curl line", func(t *testing.T) {
		testenv.Binary(t, "curl") // the printed line runs curl from PATH
		// curl globs [] and {} in -T names unless told not to; a quote
		// must survive the shell.
		for _, name := range []string{"delivery.csv", "lista {v2} [x] 'a'.csv"} {
			if name != "delivery.csv" {
				writeFile(t, dir, name, delivery)
			}
			code, out, errOut := runCLI(t, "upload-url", "--config", conf, "--supplier", "beta.se", "--name", name)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var line string
			for l := range strings.Lines(out) {
				if strings.HasPrefix(l, "curl ") {
					line = l
				}
			}
			cmd := exec.CommandContext(t.Context(), "sh", "-c", "set -e; out=$("+strings.TrimSpace(line)+"); test -z \"$out\"")
			cmd.Dir = dir
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v: %s", line, err, msg)
			}
			if got := stored(t, "inbox/beta.se/"+name); !bytes.Equal(got, delivery) {
				t.Fatalf("stored %d bytes, want %d", len(got), len(delivery))
			}
			// Run again, the line fails (exit status) and says why.
			again := exec.CommandContext(t.Context(), "sh", "-c", strings.TrimSpace(line))
			again.Dir = dir
			if msg, err := again.CombinedOutput(); err == nil || !bytes.Contains(msg, []byte("PreconditionFailed")) {
				t.Fatalf("second upload with %s: %v, want a failure naming PreconditionFailed: %s", line, err, msg)
			}
		}
	})

	t.Run("json and another endpoint", func(t *testing.T) {
		// localhost instead of 127.0.0.1: the URL is signed for the host
		// the supplier uses, and the server accepts it.
		public := strings.Replace(e.Endpoint, "127.0.0.1", "localhost", 1)
		code, out, errOut := runCLI(t, "upload-url", "--config", conf, "--supplier", "acme", "--name", "d2.csv",
			"--json", "--expires", "10m", "--endpoint", public)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		noSecrets(t, out, errOut)
		var got uploadURL
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if got.Bucket != e.Bucket || got.Key != "inbox/acme/d2.csv" || got.Method != http.MethodPut ||
			len(got.Headers) != 1 || got.Headers["If-None-Match"] != "*" || !strings.HasPrefix(got.URL, public+"/") ||
			got.Curl != "curl --fail-with-body -T 'd2.csv' -H 'If-None-Match: *' '"+got.URL+"'" {
			t.Fatalf("json %+v", got)
		}
		if d := time.Until(got.Expires); d < 9*time.Minute || d > 10*time.Minute {
			t.Fatalf("expires in %v", d)
		}
		if code := putURL(t, got.URL, got.Headers, delivery); code != http.StatusOK {
			t.Fatalf("PUT: %d", code)
		}
		if b := stored(t, got.Key); !bytes.Equal(b, delivery) {
			t.Fatal("stored object differs")
		}
	})

	t.Run("sweep enqueues the upload", func(t *testing.T) {
		var enq recordingEnqueuer
		tr, err := newTrigger(context.Background(), cfg, &enq, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		st, err := tr.Sweep(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"inbox/acme/leverans mars.csv": "acme", "inbox/beta.se/delivery.csv": "beta.se",
			"inbox/beta.se/lista {v2} [x] 'a'.csv": "beta.se", "inbox/acme/d2.csv": "acme"}
		if st.Enqueued != len(want) || st.Ignored != 0 {
			t.Fatalf("sweep %+v", st)
		}
		for _, task := range enq.tasks {
			p, err := jobs.ParseWashFile(task.Payload())
			if err != nil || task.Type() != jobs.TypeWashFile {
				t.Fatalf("task %s: %v", task.Type(), err)
			}
			if want[p.Input.Key] != p.Supplier {
				t.Fatalf("enqueued %s for supplier %s", p.Input.Key, p.Supplier)
			}
			info, err := bucket.Stat(t.Context(), p.Input.Key)
			if err != nil || p.Input.Version != info.ETag || p.Input.Size != int64(len(delivery)) {
				t.Fatalf("task input %+v, object %+v %v", p.Input, info, err)
			}
			delete(want, p.Input.Key)
		}
	})

	t.Run("refused", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			args []string
			code int
			want string
		}{
			{"no supplier", []string{"--name", "d.csv"}, 2, "--supplier and --name are required"},
			{"no name", []string{"--supplier", "acme"}, 2, "--supplier and --name are required"},
			{"supplier with space", []string{"--supplier", "ac me", "--name", "d.csv"}, 1, "supplier id is not 1-64"},
			{"supplier with slash", []string{"--supplier", "acme/x", "--name", "d.csv"}, 1, "supplier id is not 1-64"},
			{"supplier too long", []string{"--supplier", strings.Repeat("a", 65), "--name", "d.csv"}, 1, "supplier id is not 1-64"},
			{"hidden file", []string{"--supplier", "acme", "--name", ".d.csv"}, 1, "would not be washed: hidden file"},
			{"folder in name", []string{"--supplier", "acme", "--name", "x/d.csv"}, 1, "path separator"},
			{"traversal", []string{"--supplier", "acme", "--name", "../../ledger/x.json"}, 1, "path separator"},
			{"dot-dot", []string{"--supplier", "acme", "--name", ".."}, 1, "'.' or '..'"},
			{"expiry too long", []string{"--supplier", "acme", "--name", "d.csv", "--expires", "169h"}, 1, "outside 1m0s..168h0m0s"},
			{"expiry too short", []string{"--supplier", "acme", "--name", "d.csv", "--expires", "30s"}, 1, "outside 1m0s..168h0m0s"},
			{"bad endpoint", []string{"--supplier", "acme", "--name", "d.csv", "--endpoint", "ftp://x"}, 1, "not an http"},
			{"extra argument", []string{"--supplier", "acme", "--name", "d.csv", "d.csv"}, 2, "unexpected argument"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code, out, errOut := runCLI(t, append([]string{"upload-url", "--config", conf}, tc.args...)...)
				if code != tc.code || !strings.Contains(errOut, tc.want) || out != "" {
					t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, out, errOut, tc.code, tc.want)
				}
				if code == 1 && strings.Count(errOut, "\n") != 1 {
					t.Fatalf("error is not one line: %q", errOut)
				}
			})
		}
		keys, err := bucket.ListKeys(t.Context(), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 4 {
			t.Fatalf("bucket holds %v, want only the four uploads", keys)
		}
	})

	// --allow-overwrite signs no condition: a second upload replaces the
	// first (the watcher then washes the new version as a run of its own).
	t.Run("allow overwrite", func(t *testing.T) {
		code, out, errOut := runCLI(t, "upload-url", "--config", conf, "--supplier", "acme", "--name", "d2.csv",
			"--json", "--allow-overwrite")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var got uploadURL
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if len(got.Headers) != 0 || got.Curl != "curl --fail-with-body -T 'd2.csv' '"+got.URL+"'" {
			t.Fatalf("json %+v: want no signed headers", got)
		}
		if code := putURL(t, got.URL, nil, []byte("second version")); code != http.StatusOK {
			t.Fatalf("PUT over d2.csv: %d", code)
		}
		if b := stored(t, got.Key); string(b) != "second version" {
			t.Fatalf("stored %q, want the second version", b)
		}
	})

	t.Run("help", func(t *testing.T) {
		code, _, errOut := runCLI(t, "upload-url", "--help")
		if code != 0 || !strings.Contains(errOut, "Usage: listwash upload-url --supplier ID --name FILE") ||
			!strings.Contains(errOut, "-expires") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	})
}
