package infra_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/infra/testenv"
)

// s3Event is an S3 event notification for one new object.
func s3Event(key string) string {
	return fmt.Sprintf(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put",`+
		`"s3":{"bucket":{"name":"listwash-test"},"object":{"key":%q,"size":12,"eTag":"0123456789abcdef0123456789abcdef"}}}]}`, key)
}

// snsEnvelope is how SNS delivers msg to an SQS subscriber (raw message
// delivery off).
func snsEnvelope(msg string) string {
	b, _ := json.Marshal(map[string]string{"Type": "Notification", "MessageId": "4f5b1c8e-0000-4000-8000-000000000001",
		"TopicArn": "arn:aws:sns:us-east-1:000000000000:listwash-events", "Subject": "Amazon S3 Notification",
		"Message": msg, "Timestamp": "2026-11-23T06:00:00.000Z", "SignatureVersion": "1"})
	return string(b)
}

func TestUnwrapSNS(t *testing.T) {
	ev := s3Event("inbox/exempel/a+b.csv")
	tests := []struct{ name, body, want string }{
		{"raw s3 event", ev, ev},
		{"sns notification", snsEnvelope(ev), ev},
		{"sns subscription confirmation", `{"Type":"SubscriptionConfirmation","TopicArn":"arn:t","Message":"You have chosen..."}`,
			`{"Type":"SubscriptionConfirmation","TopicArn":"arn:t","Message":"You have chosen..."}`},
		{"no topic: not sns", `{"Type":"Notification","Message":"x"}`, `{"Type":"Notification","Message":"x"}`},
		{"not json", "hello", "hello"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(infra.UnwrapSNS([]byte(tc.body))); got != tc.want {
				t.Fatalf("UnwrapSNS = %q, want %q", got, tc.want)
			}
		})
	}
}

// sqsFixture is a real queue on fauxqs with a consumer run by the test.
type sqsFixture struct {
	env   *testenv.SQSEnv
	queue string
	logs  *lockedBuffer
}

func newSQSFixture(t *testing.T, visibility time.Duration) *sqsFixture {
	t.Helper()
	env := testenv.SQS(t)
	name := strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())
	return &sqsFixture{env: env, queue: env.CreateQueue(t, name, visibility), logs: &lockedBuffer{}}
}

// run starts a consumer with handler and stops it when the test ends.
func (f *sqsFixture) run(t *testing.T, cfg infra.SQSConsumerConfig) {
	t.Helper()
	client, err := infra.NewSQSClient(context.Background(), f.env.Config)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.QueueURL == "" {
		cfg.QueueURL = f.queue
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if cfg.WaitTime == 0 {
		cfg.WaitTime = time.Second
	}
	c, err := infra.NewSQSConsumer(client, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if t.Failed() {
			t.Logf("consumer logs:\n%s", f.logs.String())
		}
	})
}

// waitEmpty waits until the queue holds no message, visible or not.
func (f *sqsFixture) waitEmpty(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for f.env.Count(t, f.queue) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("queue still holds %d messages", f.env.Count(t, f.queue))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// recorder is a handler that records bodies and fails as told.
type recorder struct {
	mu     sync.Mutex
	bodies []string
	fail   func(body string, call int) error // nil: succeed
	got    chan struct{}
}

func newRecorder() *recorder { return &recorder{got: make(chan struct{}, 100)} }

func (r *recorder) handle(_ context.Context, body []byte) error {
	r.mu.Lock()
	r.bodies = append(r.bodies, string(body))
	calls := 0
	for _, b := range r.bodies {
		if b == string(body) {
			calls++
		}
	}
	fail := r.fail
	r.mu.Unlock()
	r.got <- struct{}{}
	if fail != nil {
		return fail(string(body), calls)
	}
	return nil
}

// wait waits for n handler calls.
func (r *recorder) wait(t *testing.T, n int) []string {
	t.Helper()
	for range n {
		select {
		case <-r.got:
		case <-time.After(15 * time.Second):
			t.Fatalf("handler called %d times, want %d", len(r.all()), n)
		}
	}
	return r.all()
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.bodies)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// snsPublish creates a topic on the emulator, subscribes the queue to it
// (raw message delivery off, as S3 -> SNS -> SQS fan-out usually is) and
// publishes msg: the queue receives it in a real SNS envelope.
func snsPublish(t *testing.T, endpoint, queueURL, msg string) {
	t.Helper()
	call := func(form url.Values) []byte {
		t.Helper()
		resp, err := http.PostForm(endpoint+"/", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("sns %s: %d %s", form.Get("Action"), resp.StatusCode, b)
		}
		return b
	}
	name := queueURL[strings.LastIndex(queueURL, "/")+1:]
	call(url.Values{"Action": {"CreateTopic"}, "Name": {"listwash-events"}})
	topic := "arn:aws:sns:us-east-1:000000000000:listwash-events"
	call(url.Values{"Action": {"Subscribe"}, "TopicArn": {topic}, "Protocol": {"sqs"},
		"Endpoint": {"arn:aws:sqs:us-east-1:000000000000:" + name}})
	call(url.Values{"Action": {"Publish"}, "TopicArn": {topic}, "Subject": {"Amazon S3 Notification"}, "Message": {msg}})
}

// TestSQSConsumerDeliversEvents: S3 events sent straight to the queue, in
// a hand-made SNS envelope and through the emulator's SNS topic all reach
// the handler as the bare S3 event, and are deleted once handled. The
// logs name message ids, never a key.
func TestSQSConsumerDeliversEvents(t *testing.T) {
	f := newSQSFixture(t, 30*time.Second)
	evRaw := s3Event("inbox/exempel/Anna+Andersson+raw.csv")
	evWrapped := s3Event("inbox/exempel/Anna+Andersson+wrapped.csv")
	evSNS := s3Event("inbox/exempel/Anna+Andersson+sns.csv")
	f.env.Send(t, f.queue, evRaw)
	f.env.Send(t, f.queue, snsEnvelope(evWrapped))
	snsPublish(t, f.env.Endpoint, f.queue, evSNS)
	rec := newRecorder()
	f.run(t, infra.SQSConsumerConfig{Handler: rec.handle})
	got := rec.wait(t, 3)
	slices.Sort(got)
	want := []string{evRaw, evWrapped, evSNS}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("handler got\n%q\nwant\n%q", got, want)
	}
	f.waitEmpty(t)
	// Visibility is 30s: an undeleted message could not have come back;
	// a second handling would mean a bad delete.
	if n := len(rec.all()); n != 3 {
		t.Fatalf("handler called %d times, want 3", n)
	}
	logs := f.logs.String()
	if strings.Contains(logs, "Andersson") || strings.Contains(logs, "inbox/") {
		t.Fatalf("logs show a key:\n%s", logs)
	}
	if !strings.Contains(logs, `"received":`) {
		t.Fatalf("logs lack the receive counts:\n%s", logs)
	}
}

// TestSQSConsumerRetriesFailedMessage: a message whose handler fails is
// not deleted: it comes back after its visibility timeout and is deleted
// once handled. A message whose handler says ErrDropMessage is deleted at
// once and never comes back.
func TestSQSConsumerRetriesFailedMessage(t *testing.T) {
	f := newSQSFixture(t, time.Second)
	retried, dropped := s3Event("inbox/exempel/retry.csv"), "not an event"
	rec := newRecorder()
	rec.fail = func(body string, call int) error {
		switch {
		case body == dropped:
			return fmt.Errorf("%w: bad body", infra.ErrDropMessage)
		case call == 1:
			return errors.New("redis down")
		}
		return nil
	}
	f.env.Send(t, f.queue, retried)
	f.env.Send(t, f.queue, dropped)
	f.run(t, infra.SQSConsumerConfig{Handler: rec.handle})
	rec.wait(t, 3)
	f.waitEmpty(t)
	time.Sleep(2 * time.Second) // two visibility timeouts: a kept message would be back
	got := rec.all()
	slices.Sort(got)
	if want := []string{dropped, retried, retried}; !slices.Equal(got, want) {
		t.Fatalf("handler got %q, want %q", got, want)
	}
	logs := f.logs.String()
	for _, want := range []string{"sqs message not handled", "sqs message dropped", "redis down"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

// TestSQSConsumerStopsOnCancel: Run returns soon after ctx is cancelled,
// in the middle of a 20s long poll.
func TestSQSConsumerStopsOnCancel(t *testing.T) {
	f := newSQSFixture(t, time.Second)
	client, err := infra.NewSQSClient(context.Background(), f.env.Config)
	if err != nil {
		t.Fatal(err)
	}
	c, err := infra.NewSQSConsumer(client, infra.SQSConsumerConfig{QueueURL: f.queue,
		Handler: func(context.Context, []byte) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	time.Sleep(300 * time.Millisecond) // let it start polling
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run still polling 5s after cancel")
	}
}

// TestSQSConsumerBacksOffOnReceiveErrors: receiving from a queue that does
// not exist fails; the consumer logs and retries with growing pauses
// instead of spinning, and still stops on cancel.
func TestSQSConsumerBacksOffOnReceiveErrors(t *testing.T) {
	f := newSQSFixture(t, time.Second)
	missing := f.queue[:strings.LastIndex(f.queue, "/")+1] + "no-such-queue"
	f.run(t, infra.SQSConsumerConfig{QueueURL: missing, Handler: func(context.Context, []byte) error { return nil },
		Backoff: 100 * time.Millisecond, MaxBackoff: 400 * time.Millisecond})
	time.Sleep(1500 * time.Millisecond)
	// Pauses 100, 200, 400, 400 ms: about 5 receives in 1.5s; without
	// backoff there would be hundreds.
	n := strings.Count(f.logs.String(), "sqs receive failed")
	if n < 2 || n > 10 {
		t.Fatalf("%d failed receives in 1.5s, want 2..10 (backoff 100ms doubling to 400ms)\n%s", n, f.logs.String())
	}
}

func TestNewSQSConsumerChecksConfig(t *testing.T) {
	client, err := infra.NewSQSClient(context.Background(), infra.SQSConfig{Endpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	h := func(context.Context, []byte) error { return nil }
	tests := []struct {
		name   string
		client bool
		cfg    infra.SQSConsumerConfig
		ok     bool
	}{
		{"complete", true, infra.SQSConsumerConfig{QueueURL: "http://q/1/a", Handler: h}, true},
		{"no client", false, infra.SQSConsumerConfig{QueueURL: "http://q/1/a", Handler: h}, false},
		{"no queue", true, infra.SQSConsumerConfig{Handler: h}, false},
		{"no handler", true, infra.SQSConsumerConfig{QueueURL: "http://q/1/a"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := client
			if !tc.client {
				c = nil
			}
			_, err := infra.NewSQSConsumer(c, tc.cfg)
			if (err == nil) != tc.ok {
				t.Fatalf("NewSQSConsumer error %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
