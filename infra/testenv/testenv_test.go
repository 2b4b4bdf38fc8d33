package testenv

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/listwash/listwash/infra"
)

func TestRedisAnswersPing(t *testing.T) {
	addr := Redis(t)
	if err := pingRedis(addr); err != nil {
		t.Fatalf("ping %s: %v", addr, err)
	}
}

func TestS3ServesBucket(t *testing.T) {
	e := S3Server(t)
	if e.Config.Endpoint != e.Endpoint || !e.Config.PathStyle || e.Config.AccessKey == "" {
		t.Fatalf("config does not match endpoint %s", e.Endpoint)
	}
	client, err := infra.NewS3Client(t.Context(), e.Config)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.HeadBucket(t.Context(), &s3.HeadBucketInput{Bucket: &e.Bucket}); err != nil {
		t.Fatalf("head bucket %s: %v", e.Bucket, err)
	}
}

func TestServersStopAtCleanup(t *testing.T) {
	var addr string
	t.Run("start", func(t *testing.T) { addr = Redis(t) })
	if err := pingRedis(addr); err == nil {
		t.Fatal("redis still answers after its test ended")
	}
}

func TestSQSQueueCounts(t *testing.T) {
	e := SQS(t)
	q := e.CreateQueue(t, "testenv", time.Second)
	if n := e.Count(t, q); n != 0 {
		t.Fatalf("new queue holds %d messages", n)
	}
	e.Send(t, q, "one")
	e.Send(t, q, "two")
	if n := e.Count(t, q); n != 2 {
		t.Fatalf("queue holds %d messages, want 2", n)
	}
}

func TestSQSStopsAtCleanup(t *testing.T) {
	var e *SQSEnv
	t.Run("start", func(t *testing.T) { e = SQS(t) })
	if err := pingFauxqs(strings.TrimPrefix(e.Endpoint, "http://")); err == nil {
		t.Fatal("fauxqs still answers after its test ended")
	}
}
