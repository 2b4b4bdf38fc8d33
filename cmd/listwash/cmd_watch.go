package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
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

// runningWatch is a started watch: the webhook and the sweep loop.
type runningWatch struct {
	addr    string // bound webhook address
	trigger *worker.Trigger
	http    *http.Server
	client  *asynq.Client
	cancel  context.CancelFunc
	done    chan struct{}
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

// startWatch serves POST /events (S3 event notifications) and /healthz on
// listen.watch, and sweeps the inbox every sweep_interval.
func startWatch(ctx context.Context, cfg infra.Config, logger *slog.Logger) (*runningWatch, error) {
	client := infra.NewQueueClient(cfg.RedisConfig())
	tr, err := newTrigger(ctx, cfg, client, logger)
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
	go func() {
		defer close(w.done)
		if cfg.SweepInterval > 0 {
			tr.RunSweeps(sctx, cfg.SweepInterval)
		}
	}()
	logger.Info("watch started", "config", cfg, "webhook", "http://"+addr+"/events", "sweep_interval", cfg.SweepInterval.String())
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
