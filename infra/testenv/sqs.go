package testenv

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/listwash/listwash/infra"
)

// SQSEnv is a running fauxqs, an SQS (and SNS) emulator that speaks the
// AWS JSON protocol of current SDKs. CI installs it from npm, pinned by
// .ci/fauxqs/package-lock.json (see .ci/test).
type SQSEnv struct {
	Endpoint string // "http://127.0.0.1:port"
	// Config is a client config for the server (static credentials,
	// us-east-1) without a queue URL.
	Config infra.SQSConfig
	Client *sqs.Client
}

// SQS starts fauxqs on a free loopback port; it stops when t ends.
func SQS(t testing.TB) *SQSEnv {
	t.Helper()
	bin := binary(t, "fauxqs")
	env, err := exec.LookPath("env")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	// fauxqs takes its port from the environment: env(1) sets it per try
	// and execs the server in its place (so killing it kills fauxqs).
	addr := start(t, env, nil, func(port int) []string {
		return []string{"FAUXQS_PORT=" + strconv.Itoa(port), "FAUXQS_HOST=127.0.0.1", "FAUXQS_LOGGER=false", bin}
	}, pingFauxqs)
	return sqsEnv(t, addr)
}

// sqsEnv builds the env of a server at addr.
func sqsEnv(t testing.TB, addr string) *SQSEnv {
	t.Helper()
	e := &SQSEnv{Endpoint: "http://" + addr}
	e.Config = infra.SQSConfig{Endpoint: e.Endpoint,
		AWS: infra.S3Config{Region: "us-east-1", AccessKey: "testenv-access", SecretKey: "testenv-secret-key"}}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	var err error
	if e.Client, err = infra.NewSQSClient(ctx, e.Config); err != nil {
		t.Fatalf("testenv: sqs client: %v", err)
	}
	return e
}

// CreateQueue creates a standard queue whose received messages stay
// invisible for visibility (whole seconds, at least 1) and returns its URL.
func (e *SQSEnv) CreateQueue(t testing.TB, name string, visibility time.Duration) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	secs := max(1, int(visibility/time.Second))
	out, err := e.Client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name),
		Attributes: map[string]string{"VisibilityTimeout": strconv.Itoa(secs)}})
	if err != nil {
		t.Fatalf("testenv: create queue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// Send puts body on the queue.
func (e *SQSEnv) Send(t testing.TB, queueURL, body string) {
	t.Helper()
	if _, err := e.Client.SendMessage(context.Background(), &sqs.SendMessageInput{
		QueueUrl: aws.String(queueURL), MessageBody: aws.String(body)}); err != nil {
		t.Fatalf("testenv: send: %v", err)
	}
}

// Count is the number of messages on the queue, visible or being handled.
func (e *SQSEnv) Count(t testing.TB, queueURL string) int {
	t.Helper()
	out, err := e.Client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL),
		AttributeNames: []types.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
	if err != nil {
		t.Fatalf("testenv: queue attributes: %v", err)
	}
	n := 0
	for _, k := range []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"} {
		v, err := strconv.Atoi(out.Attributes[k])
		if err != nil {
			t.Fatalf("testenv: queue attribute %s = %q", k, out.Attributes[k])
		}
		n += v
	}
	return n
}

// pingFauxqs succeeds once fauxqs answers GET /health with 200.
func pingFauxqs(addr string) error {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + addr + "/health")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: health %d", errNotReady, resp.StatusCode)
	}
	return nil
}
