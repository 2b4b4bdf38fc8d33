package infra

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
)

func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape status %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestMetrics(t *testing.T) {
	mr := miniredis.RunT(t)
	rc := RedisConfig{Addr: mr.Addr()}
	client := NewQueueClient(rc)
	insp := NewQueueInspector(rc)
	t.Cleanup(func() { client.Close(); insp.Close() })
	for _, id := range []string{"a", "b"} {
		if _, err := client.Enqueue(asynq.NewTask("wash:file", nil), asynq.Queue("default"), asynq.TaskID(id)); err != nil {
			t.Fatal(err)
		}
	}
	m := NewMetrics()
	m.WatchQueues(insp, []string{"critical", "default"})
	m.ObserveRun("committed", 2000, 1500*time.Millisecond)
	m.ObserveRun("failed", 10, time.Second)
	m.ObserveStage("normalise", 30*time.Millisecond, 2000)
	out := scrape(t, m.Handler())
	tests := []struct{ name, want string }{
		{"rows count committed runs only", "listwash_rows_washed_total 2000"},
		{"runs by status", `listwash_runs_total{status="failed"} 1`},
		{"stage histogram", `listwash_stage_busy_seconds_count{stage="normalise"} 1`},
		{"queue depth", `listwash_queue_tasks{queue="default",state="pending"} 2`},
		{"empty queue reads zero", `listwash_queue_tasks{queue="critical",state="pending"} 0`},
		{"redis up", "listwash_queue_up 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(out, tc.want) {
				t.Fatalf("metrics lack %q", tc.want)
			}
		})
	}
	mr.Close()
	if out := scrape(t, m.Handler()); !strings.Contains(out, "listwash_queue_up 0") {
		t.Fatalf("redis down not shown")
	}
}

func TestHealthHandler(t *testing.T) {
	tests := []struct {
		name  string
		check func(context.Context) error
		code  int
	}{
		{"no check", nil, 200},
		{"healthy", func(context.Context) error { return nil }, 200},
		{"unhealthy", func(context.Context) error { return errors.New("redis down") }, 503},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			HealthHandler(tc.check).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d", rec.Code, tc.code)
			}
		})
	}
}
