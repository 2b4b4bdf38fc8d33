package infra_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/infra/testenv"
)

func TestParseRedisURL(t *testing.T) {
	tests := []struct {
		name, url string
		want      infra.RedisConfig
		wantErr   bool
	}{
		{"host only", "redis://redis", infra.RedisConfig{Addr: "redis:6379"}, false},
		{"full", "redis://worker:s3cret@10.0.0.5:6380/2",
			infra.RedisConfig{Addr: "10.0.0.5:6380", Username: "worker", Password: "s3cret", DB: 2}, false},
		{"password only", "redis://:pw@h:1", infra.RedisConfig{Addr: "h:1", Password: "pw"}, false},
		{"tls", "rediss://cache.example:6379", infra.RedisConfig{Addr: "cache.example:6379", TLS: true}, false},
		{"wrong scheme", "http://h:1", infra.RedisConfig{}, true},
		{"bad db", "redis://h:1/x", infra.RedisConfig{}, true},
		{"bad port", "redis://u:s3cret@h:bad port/", infra.RedisConfig{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := infra.ParseRedisURL(tc.url)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("ParseRedisURL(%q) = %+v, %v; want %+v, error %v", tc.url, got, err, tc.want, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("error shows the password: %v", err)
			}
		})
	}
}

func TestRedisClientOpt(t *testing.T) {
	opt := infra.RedisConfig{}.ClientOpt()
	if opt.Addr != "127.0.0.1:6379" || opt.TLSConfig != nil {
		t.Fatalf("zero config: %+v", opt)
	}
	opt = infra.RedisConfig{Addr: "cache.example:6380", DB: 3, TLS: true}.ClientOpt()
	if opt.DB != 3 || opt.TLSConfig == nil || opt.TLSConfig.ServerName != "cache.example" {
		t.Fatalf("tls config: addr %s db %d tls %v", opt.Addr, opt.DB, opt.TLSConfig)
	}
}

// testTaskIDConflict enqueues the same task id twice.
func testTaskIDConflict(t *testing.T, cfg infra.RedisConfig) {
	client := infra.NewQueueClient(cfg)
	t.Cleanup(func() { client.Close() })
	task := asynq.NewTask("test:noop", []byte(`{}`), asynq.TaskID("same-id"), asynq.Queue("default"))
	if _, err := client.Enqueue(task); err != nil {
		t.Fatalf("first enqueue: %v", err)
	}
	if _, err := client.Enqueue(task); !errors.Is(err, asynq.ErrTaskIDConflict) {
		t.Fatalf("second enqueue = %v, want ErrTaskIDConflict", err)
	}
	insp := infra.NewQueueInspector(cfg)
	t.Cleanup(func() { insp.Close() })
	info, err := insp.GetQueueInfo("default")
	if err != nil {
		t.Fatal(err)
	}
	if info.Pending != 1 {
		t.Fatalf("%d pending tasks, want 1", info.Pending)
	}
}

func TestQueueTaskIDConflictMiniredis(t *testing.T) {
	testTaskIDConflict(t, infra.RedisConfig{Addr: miniredis.RunT(t).Addr()})
}

func TestQueueTaskIDConflictRedis(t *testing.T) {
	testTaskIDConflict(t, infra.RedisConfig{Addr: testenv.Redis(t)})
}

// TestQueueServerRunsTask runs a task end to end on a real redis.
func TestQueueServerRunsTask(t *testing.T) {
	cfg := infra.RedisConfig{Addr: testenv.Redis(t)}
	got := make(chan string, 1)
	mux := asynq.NewServeMux()
	mux.HandleFunc("test:echo", func(_ context.Context, task *asynq.Task) error {
		got <- string(task.Payload())
		return nil
	})
	srv := infra.NewQueueServer(cfg, asynq.Config{Concurrency: 1, Queues: map[string]int{"critical": 2, "default": 1},
		TaskCheckInterval: 50 * time.Millisecond, ShutdownTimeout: time.Second, LogLevel: asynq.ErrorLevel})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	client := infra.NewQueueClient(cfg)
	t.Cleanup(func() { client.Close() })
	if _, err := client.Enqueue(asynq.NewTask("test:echo", []byte("ref-only"), asynq.Queue("critical"))); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if p != "ref-only" {
			t.Fatalf("handler got %q", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("task not processed within 10s")
	}
}
