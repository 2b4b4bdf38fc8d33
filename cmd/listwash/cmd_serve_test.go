package main

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/infra/testenv"
	"github.com/listwash/listwash/jobs"
	"github.com/listwash/listwash/worker"
)

// TestServeQueueUI: the UI page and its API answer, and the API shows a
// queued wash.
func TestServeQueueUI(t *testing.T) {
	cfg := infra.Config{Redis: infra.RedisFileConfig{Addr: testenv.Redis(t)}, Bucket: "b-1",
		Listen: infra.Listen{Serve: "127.0.0.1:0"}}
	cfg.SetDefaults()
	client := infra.NewQueueClient(cfg.RedisConfig())
	defer client.Close()
	task, err := jobs.NewWashFileTask(jobs.WashFile{RunID: worker.RunID("s3://b-1", "inbox/a/x.csv", "e1"), Supplier: "a",
		Input:  jobs.Ref{Store: "s3://b-1", Key: "inbox/a/x.csv", Version: "e1", Size: 10},
		Output: "s3://b-1/washed", Options: jobs.Options{Mode: jobs.ModeMark, AsOf: "2026-11-01"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Enqueue(task); err != nil {
		t.Fatal(err)
	}
	s, err := startServe(cfg, true, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.stop()
	tests := []struct{ name, path, want string }{
		{"root redirects to the UI", "/", "<html"},
		{"ui page", serveRoot + "/", "<html"},
		{"queues api", serveRoot + "/api/queues", `"queue":"default"`},
		{"health", "/healthz", "ok"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Get("http://" + s.addr + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || !strings.Contains(strings.ToLower(string(body)), strings.ToLower(tc.want)) {
				t.Fatalf("GET %s: %d, body lacks %q: %.300s", tc.path, resp.StatusCode, tc.want, body)
			}
		})
	}
}
