package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/jobs"
	"github.com/listwash/listwash/worker"
)

func runWatch(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs, config, verbose := runtimeFlags("watch", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, logger, err := loadRuntime(*config, *verbose, stderr)
	if err != nil {
		return err
	}
	w, err := startWatch(ctx, cfg, logger)
	if err != nil {
		return err
	}
	<-ctx.Done()
	w.stop()
	logger.Info("watch stopped")
	return nil
}

// runningWatch is a started watch: the webhook, the sweep loop and, when
// sqs.queue_url is set, the SQS consumer.
type runningWatch struct {
	addr    string // bound webhook address
	trigger *worker.Trigger
	http    *http.Server
	client  *asynq.Client
	cancel  context.CancelFunc
	done    chan struct{} // closed when the sweep and the consumer stopped
}

// newTrigger builds the trigger from the config.
func newTrigger(ctx context.Context, cfg infra.Config, client worker.Enqueuer, logger *slog.Logger) (*worker.Trigger, error) {
	stores, err := newRuntimeStores(ctx, cfg)
	if err != nil {
		return nil, err
	}
	bucket := stores.prefix("")
	return worker.NewTrigger(worker.TriggerConfig{
		Bucket: cfg.Bucket, Inbox: cfg.Prefixes.Inbox, Output: cfg.PrefixURL(cfg.Prefixes.Washed), Enq: client,
		Options: jobs.Options{Mode: cfg.Worker.Mode, Company: cfg.Worker.Company},
		Ledger:  stores.prefix(cfg.Prefixes.Ledger), Washed: stores.prefix(cfg.Prefixes.Washed),
		List: func(ctx context.Context, prefix string, yield func(worker.InboxObject) error) error {
			for o, err := range bucket.List(ctx, prefix) {
				if err != nil {
					return err
				}
				if err := yield(worker.InboxObject{Key: o.Key, ETag: o.ETag, Size: o.Size}); err != nil {
					return err
				}
			}
			return nil
		},
		Exists: func(ctx context.Context, key string) (bool, error) {
			_, err := bucket.Stat(ctx, key)
			if errors.Is(err, infra.ErrNotFound) {
				return false, nil
			}
			return err == nil, err
		},
		Logger: logger,
	})
}

// newSQSConsumer builds the consumer of sqs.queue_url, which hands every
// message to tr like the webhook does; nil when no queue is set.
func newSQSConsumer(ctx context.Context, cfg infra.Config, tr *worker.Trigger, logger *slog.Logger) (*infra.SQSConsumer, error) {
	if cfg.SQS.QueueURL == "" {
		return nil, nil
	}
	client, err := infra.NewSQSClient(ctx, cfg.SQSConfig())
	if err != nil {
		return nil, fmt.Errorf("sqs: %w", err)
	}
	log := logger.With("source", "sqs")
	return infra.NewSQSConsumer(client, infra.SQSConsumerConfig{QueueURL: cfg.SQS.QueueURL, Logger: log,
		Handler: func(ctx context.Context, body []byte) error {
			st, err := tr.HandleEvents(ctx, body)
			if errors.Is(err, worker.ErrBadEvent) {
				return fmt.Errorf("%w: %w", infra.ErrDropMessage, err)
			}
			if err != nil {
				return err // kept on the queue: received again after its visibility timeout
			}
			log.Info("event handled", "enqueued", st.Enqueued, "duplicates", st.Duplicates, "ignored", st.Ignored)
			return nil
		}})
}

// startWatch serves POST /events (S3 event notifications) and /healthz on
// listen.watch, consumes sqs.queue_url if set, and sweeps the inbox every
// sweep_interval.
func startWatch(ctx context.Context, cfg infra.Config, logger *slog.Logger) (*runningWatch, error) {
	client := infra.NewQueueClient(cfg.RedisConfig())
	tr, err := newTrigger(ctx, cfg, client, logger)
	if err != nil {
		client.Close()
		return nil, err
	}
	consumer, err := newSQSConsumer(ctx, cfg, tr, logger)
	if err != nil {
		client.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/events", tr)
	mux.Handle("/healthz", infra.HealthHandler(func(context.Context) error { return client.Ping() }))
	addr, srv, err := serveHTTP(cfg.Listen.Watch, mux, logger)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("listen.watch: %w", err)
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w := &runningWatch{addr: addr, trigger: tr, http: srv, client: client, cancel: cancel, done: make(chan struct{})}
	var wg sync.WaitGroup
	if cfg.SweepInterval > 0 {
		wg.Go(func() { tr.RunSweeps(sctx, cfg.SweepInterval) })
	}
	if consumer != nil {
		wg.Go(func() { consumer.Run(sctx) })
	}
	go func() {
		wg.Wait()
		close(w.done)
	}()
	logger.Info("watch started", "config", cfg, "webhook", "http://"+addr+"/events", "sweep_interval", cfg.SweepInterval.String(),
		"sqs", consumer != nil)
	return w, nil
}

func (w *runningWatch) stop() {
	w.cancel()
	<-w.done
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	w.http.Shutdown(ctx)
	cancel()
	w.client.Close()
}
