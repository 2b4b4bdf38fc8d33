package infra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// SQSConfig configures the client of an SQS queue (AWS, or an
// SQS-compatible server).
type SQSConfig struct {
	// QueueURL is the queue's URL, e.g.
	// "https://sqs.eu-north-1.amazonaws.com/123456789012/listwash-events".
	QueueURL string
	// Endpoint is the server's base URL. Empty: AWS's regional endpoint
	// (or AWS_ENDPOINT_URL_SQS).
	Endpoint string
	// AWS supplies the region, credentials and attempts, as for S3 (an S3
	// bucket notifies only queues in its own region); its Endpoint and
	// PathStyle are not used.
	AWS S3Config
}

// NewSQSClient builds an SDK client from cfg.
func NewSQSClient(ctx context.Context, cfg SQSConfig) (*sqs.Client, error) {
	awsCfg, err := loadAWSConfig(ctx, cfg.AWS)
	if err != nil {
		return nil, fmt.Errorf("load sqs config: %w", err)
	}
	return sqs.NewFromConfig(awsCfg, func(o *sqs.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	}), nil
}

// SQSHandler handles one message body. nil: done, the message is deleted.
// An error leaves the message on the queue: it is received again once its
// visibility timeout ends. An error wrapping ErrDropMessage deletes it
// anyway (it can never succeed).
type SQSHandler func(ctx context.Context, body []byte) error

// ErrDropMessage marks a handler error for a message that no retry can
// fix (not an event at all): the consumer deletes it and logs its id.
var ErrDropMessage = errors.New("message dropped")

// SQSConsumerConfig configures an SQSConsumer.
type SQSConsumerConfig struct {
	QueueURL string     // required
	Handler  SQSHandler // required
	Logger   *slog.Logger
	// WaitTime is the long-poll wait of one ReceiveMessage, at most 20s.
	// 0: 20s.
	WaitTime time.Duration
	// MaxMessages is the most messages one receive returns, 1..10. 0: 10.
	MaxMessages int32
	// Backoff is the pause after a failed receive, doubled on each further
	// failure up to MaxBackoff. 0: 1s; MaxBackoff 0: 1m.
	Backoff    time.Duration
	MaxBackoff time.Duration
}

// SQSConsumer long-polls a queue and hands each message body to a
// handler: the S3 event notifications of a bucket, sent straight to the
// queue or through an SNS topic (the SNS envelope is removed first).
// Delivery is at least once: a message is deleted only after its handler
// succeeded, so handlers must tolerate duplicates.
//
// It logs message ids and counts, never a body (keys may name people).
type SQSConsumer struct {
	client *sqs.Client
	cfg    SQSConsumerConfig
	log    *slog.Logger
}

// NewSQSConsumer checks cfg. It does not contact the server.
func NewSQSConsumer(client *sqs.Client, cfg SQSConsumerConfig) (*SQSConsumer, error) {
	if client == nil || cfg.QueueURL == "" || cfg.Handler == nil {
		return nil, errors.New("sqs consumer: client, QueueURL and Handler are required")
	}
	if cfg.WaitTime <= 0 || cfg.WaitTime > 20*time.Second {
		cfg.WaitTime = 20 * time.Second
	}
	if cfg.MaxMessages <= 0 || cfg.MaxMessages > 10 {
		cfg.MaxMessages = 10
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Minute
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.Backoff)
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &SQSConsumer{client: client, cfg: cfg, log: log}, nil
}

// Run receives and handles messages until ctx is cancelled, then returns
// nil. A message being handled when ctx ends sees ctx cancelled; if its
// handler fails it stays on the queue. Receive errors are logged and
// retried with backoff.
func (c *SQSConsumer) Run(ctx context.Context) error {
	backoff := c.cfg.Backoff
	for ctx.Err() == nil {
		out, err := c.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(c.cfg.QueueURL),
			MaxNumberOfMessages:         c.cfg.MaxMessages,
			WaitTimeSeconds:             int32(c.cfg.WaitTime / time.Second),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
		})
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			c.log.Error("sqs receive failed", "error", err, "retry_in", backoff.String())
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, c.cfg.MaxBackoff)
			continue
		}
		backoff = c.cfg.Backoff
		if len(out.Messages) > 0 {
			c.handle(ctx, out.Messages)
		}
	}
	return nil
}

// handle runs the handler on each message and deletes those it is done
// with in one batch.
func (c *SQSConsumer) handle(ctx context.Context, msgs []types.Message) {
	done := make([]types.DeleteMessageBatchRequestEntry, 0, len(msgs))
	failed := 0
	for i, m := range msgs {
		id := aws.ToString(m.MessageId)
		err := c.cfg.Handler(ctx, UnwrapSNS([]byte(aws.ToString(m.Body))))
		switch {
		case err == nil:
		case errors.Is(err, ErrDropMessage):
			c.log.Warn("sqs message dropped: it is no S3 event notification", "message_id", id, "error", err)
		default:
			failed++
			c.log.Error("sqs message not handled; it is retried after its visibility timeout",
				"message_id", id, "receive_count", m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)],
				"error", err)
			continue
		}
		done = append(done, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
	}
	c.log.Debug("sqs messages received", "received", len(msgs), "handled", len(done), "failed", failed)
	if len(done) == 0 {
		return
	}
	// Delete even when ctx just ended: the work is done, and a message
	// left on the queue would only be handled again.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	out, err := c.client.DeleteMessageBatch(dctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(c.cfg.QueueURL), Entries: done})
	if err != nil {
		c.log.Error("sqs delete failed; the messages are received again", "messages", len(done), "error", err)
		return
	}
	for _, f := range out.Failed {
		i, _ := strconv.Atoi(aws.ToString(f.Id))
		c.log.Error("sqs delete failed; the message is received again", "message_id", aws.ToString(msgs[i].MessageId),
			"code", aws.ToString(f.Code))
	}
}

// snsEnvelope is the part of an SNS notification delivered to SQS (raw
// message delivery off) that matters here.
type snsEnvelope struct {
	Type     string  `json:"Type"`
	Message  *string `json:"Message"`
	TopicArn string  `json:"TopicArn"`
}

// UnwrapSNS returns the message inside an SNS notification envelope
// ({"Type":"Notification","Message":"<the S3 event as a JSON string>",
// ...}), or body itself when it is not one.
func UnwrapSNS(body []byte) []byte {
	var env snsEnvelope
	if json.Unmarshal(body, &env) != nil || env.Type != "Notification" || env.Message == nil || env.TopicArn == "" {
		return body
	}
	return []byte(*env.Message)
}
