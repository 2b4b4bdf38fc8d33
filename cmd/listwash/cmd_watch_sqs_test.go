package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/infra/testenv"
	"github.com/listwash/listwash/jobs"
)

// TestWatchSQSEnqueuesWash: watch with sqs.queue_url set, on real
// redis-server, versitygw and fauxqs (no webhook POST, no sweep). An S3
// event put on the queue, then the same event again through an SNS
// envelope, lead to one wash:file task for the object; a message that is
// no event is dropped; every message leaves the queue. The logs name no
// key.
func TestWatchSQSEnqueuesWash(t *testing.T) {
	redisAddr := testenv.Redis(t)
	s3env := testenv.S3Server(t)
	sqsEnv := testenv.SQS(t)
	queue := sqsEnv.CreateQueue(t, "listwash-events", 2*time.Second)
	cfg := infra.Config{Redis: infra.RedisFileConfig{Addr: redisAddr}, Bucket: s3env.Bucket,
		S3: infra.S3FileConfig{Endpoint: s3env.Endpoint, Region: s3env.Config.Region,
			AccessKeyID: s3env.Config.AccessKey, SecretAccessKey: s3env.Config.SecretKey},
		SQS:    infra.SQSFileConfig{QueueURL: queue, Endpoint: sqsEnv.Endpoint},
		Listen: infra.Listen{Watch: "127.0.0.1:0"}, SweepInterval: -1}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s := &stack{cfg: cfg, logs: &bytes.Buffer{}}
	var err error
	if s.bucket, err = infra.OpenStore(ctx, cfg.BucketURL(), cfg.S3Config()); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: s.logs}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	insp := infra.NewQueueInspector(cfg.RedisConfig())
	defer insp.Close()
	w, err := startWatch(ctx, cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			w.stop()
		}
		if t.Failed() {
			t.Logf("watch logs:\n%s", s.logs.String())
		}
	}()

	key := "inbox/exempel/Anna Andersson 2026/delivery.csv"
	etag := s.put(t, key, []byte("namn;telefon\n"))
	ev := s.event(key, etag, 13)
	wrapped, _ := json.Marshal(map[string]string{"Type": "Notification", "TopicArn": "arn:aws:sns:us-east-1:000000000000:t",
		"MessageId": "4f5b1c8e-0000-4000-8000-000000000002", "Message": ev})
	sqsEnv.Send(t, queue, ev)
	sqsEnv.Send(t, queue, string(wrapped))
	sqsEnv.Send(t, queue, "not an event")

	taskID := jobs.TaskID(cfg.BucketURL(), key, etag)
	deadline := time.Now().Add(20 * time.Second)
	for sqsEnv.Count(t, queue) != 0 || !strings.Contains(s.logs.String(), `"duplicates":1`) {
		if time.Now().After(deadline) {
			t.Fatalf("after 20s: %d messages on the queue", sqsEnv.Count(t, queue))
		}
		time.Sleep(100 * time.Millisecond)
	}
	info, err := insp.GetTaskInfo(jobs.QueueDefault, taskID)
	if err != nil {
		t.Fatalf("task %s: %v", taskID, err)
	}
	if info.Type != jobs.TypeWashFile || info.State != asynq.TaskStatePending {
		t.Fatalf("task type %q state %v, want %s pending", info.Type, info.State, jobs.TypeWashFile)
	}
	var p jobs.WashFile
	if err := json.Unmarshal(info.Payload, &p); err != nil || p.Input.Key != key || p.Supplier != "exempel" {
		t.Fatalf("payload %s (%v): want key %q, supplier exempel", info.Payload, err, key)
	}
	pending, err := insp.ListPendingTasks(jobs.QueueDefault)
	if err != nil || len(pending) != 1 {
		t.Fatalf("%d pending tasks (%v), want 1", len(pending), err)
	}
	w.stop()
	stopped = true
	logs := s.logs.String()
	for _, want := range []string{`"enqueued":1`, `"duplicates":1`, "sqs message dropped"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q", want)
		}
	}
	if strings.Contains(logs, "Andersson") {
		t.Errorf("logs name a key")
	}
}
