package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/hibiken/asynq"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/jobs"
	"github.com/listwash/listwash/worker"
	"github.com/listwash/listwash/worker/dedup"
	"github.com/listwash/listwash/worker/registers"
)

// runtimeFlags are the flags every runtime command takes.
func runtimeFlags(name string, stderr io.Writer) (*flag.FlagSet, *string, *bool) {
	fs := newFlags(name, "[--config FILE]", stderr)
	config := fs.String("config", os.Getenv("LISTWASH_CONFIG"), "runtime config file, YAML or JSON (default $LISTWASH_CONFIG; environment variables override it, see docs/runtime.md)")
	verbose := fs.Bool("verbose", false, "log debug messages")
	return fs, config, verbose
}

// loadRuntime reads and validates the config and returns a JSON logger.
func loadRuntime(file string, verbose bool, stderr io.Writer) (infra.Config, *slog.Logger, error) {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg, err := infra.LoadConfig(file, nil)
	if err != nil {
		return infra.Config{}, nil, err
	}
	return cfg, logger, nil
}

// runtimeStores opens the stores of the runtime's bucket on one S3 client.
type runtimeStores struct {
	cfg    infra.Config
	client *s3.Client
}

func newRuntimeStores(ctx context.Context, cfg infra.Config) (*runtimeStores, error) {
	client, err := infra.NewS3Client(ctx, cfg.S3Config())
	if err != nil {
		return nil, err
	}
	return &runtimeStores{cfg: cfg, client: client}, nil
}

// store opens "s3://bucket[/prefix]" on the shared client; other URLs
// (local folders, for tests and single-machine use) through OpenStore.
func (r *runtimeStores) store(ctx context.Context, url string) (infra.Store, error) {
	if rest, ok := strings.CutPrefix(url, "s3://"); ok {
		bucket, prefix, _ := strings.Cut(rest, "/")
		if bucket == "" {
			return nil, fmt.Errorf("%w: %s: empty bucket", infra.ErrUnsupportedURL, url)
		}
		return infra.NewS3StoreClient(r.client, r.cfg.S3Config(), bucket, prefix), nil
	}
	return infra.OpenStore(ctx, url, r.cfg.S3Config())
}

// prefix opens a prefix of the configured bucket.
func (r *runtimeStores) prefix(prefix string) infra.Store {
	return infra.NewS3StoreClient(r.client, r.cfg.S3Config(), r.cfg.Bucket, prefix)
}

// open is the handler's worker.StoreOpener.
func (r *runtimeStores) open(ctx context.Context, url string) (worker.Store, error) {
	st, err := r.store(ctx, url)
	if err != nil {
		return nil, err
	}
	return versionedStore{st}, nil
}

// versionedStore tells an object's version (its ETag).
type versionedStore struct{ infra.Store }

func (s versionedStore) ObjectVersion(ctx context.Context, key string) (string, error) {
	info, err := s.Stat(ctx, key)
	return info.ETag, err
}

// newWashHandler builds the wash:file handler from the config.
func newWashHandler(cfg infra.Config, stores *runtimeStores, enq worker.Enqueuer, obs worker.RunObserver, logger *slog.Logger) (*worker.Handler, error) {
	keys, err := registers.ParseForgetKeys(os.Getenv(registers.ForgetKeysEnv))
	if err != nil {
		return nil, err
	}
	opts := worker.RegisterOptions(cfg.Worker.Country)
	opts.ForgetKeys = keys
	opts.Cache = &registers.Cache{}
	hc := worker.HandlerConfig{
		Open: stores.open, Ledger: stores.prefix(cfg.Prefixes.Ledger),
		Registers: stores.prefix(cfg.Prefixes.Registers), RegisterOptions: opts,
		Profiles: stores.prefix(""), Country: cfg.Worker.Country,
		CodeVersion: version, Observer: obs, Logger: logger,
		ChunkSize: cfg.Worker.ChunkSize, MatchParts: cfg.Worker.DedupPartitions, Enqueuer: enq,
		Dedup: dedup.Config{SpillRows: cfg.Worker.DedupSpillRows},
	}
	switch key, err := dedup.IndexKeyFromEnv(); {
	case err == nil:
		hc.Index, hc.IndexKey = stores.prefix(cfg.Prefixes.Index), key
	case errors.Is(err, dedup.ErrNoIndexKey):
		logger.Info("no LISTWASH_INDEX_KEY: deduplication within each delivery only")
	default:
		return nil, err
	}
	return worker.NewHandler(hc)
}

// queueNames are the queues of jobs.Queues(), sorted.
func queueNames() []string {
	var names []string
	for q := range jobs.Queues() {
		names = append(names, q)
	}
	slices.Sort(names)
	return names
}

func runWorker(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs, config, verbose := runtimeFlags("worker", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, logger, err := loadRuntime(*config, *verbose, stderr)
	if err != nil {
		return err
	}
	w, err := startWorker(ctx, cfg, logger)
	if err != nil {
		return err
	}
	<-ctx.Done()
	logger.Info("worker stopping: no new tasks; running washes get the shutdown timeout", "timeout", cfg.Worker.ShutdownTimeout.String())
	w.stop()
	logger.Info("worker stopped")
	return nil
}

// runningWorker is a started worker: the asynq server and the metrics
// endpoint.
type runningWorker struct {
	srv         *asynq.Server
	http        *http.Server
	metricsAddr string // bound address, "" if disabled
	handler     *worker.Handler
	closers     []io.Closer
}

// startWorker starts an asynq server with the wash:file handler and the
// /metrics and /healthz endpoint.
func startWorker(ctx context.Context, cfg infra.Config, logger *slog.Logger) (*runningWorker, error) {
	stores, err := newRuntimeStores(ctx, cfg)
	if err != nil {
		return nil, err
	}
	metrics := infra.NewMetrics()
	rc := cfg.RedisConfig()
	insp := infra.NewQueueInspector(rc)
	client := infra.NewQueueClient(rc)
	h, err := newWashHandler(cfg, stores, client, metrics, logger)
	if err != nil {
		insp.Close()
		client.Close()
		return nil, err
	}
	w := &runningWorker{handler: h}
	w.closers = append(w.closers, insp, client)
	metrics.WatchQueues(insp, queueNames())

	w.srv = infra.NewQueueServer(rc, asynq.Config{
		Concurrency: cfg.Worker.Concurrency, Queues: jobs.Queues(), ShutdownTimeout: cfg.Worker.ShutdownTimeout,
		Logger: asynqLogger{logger}, LogLevel: asynq.WarnLevel,
		// A wash that failed for an infrastructure reason waits a little
		// longer each time; bad inputs never come back (SkipRetry).
		RetryDelayFunc: func(n int, err error, _ *asynq.Task) time.Duration {
			if errors.Is(err, asynq.ErrLeaseExpired) {
				return 0 // a crashed worker's task: safe to rerun at once
			}
			return min(time.Duration(1<<min(n, 10))*5*time.Second, 30*time.Minute)
		},
	})
	mux := asynq.NewServeMux()
	mux.Handle(jobs.TypeWashFile, h)
	mux.HandleFunc(jobs.TypeWashChunk, h.ProcessChunk)
	mux.HandleFunc(jobs.TypeWashMatch, h.ProcessMatch)
	mux.HandleFunc(jobs.TypeWashMerge, h.ProcessMerge)
	mux.HandleFunc(jobs.TypeWashApply, h.ProcessApply)
	mux.HandleFunc(jobs.TypeWashCommit, h.ProcessCommit)
	if err := w.srv.Start(mux); err != nil {
		w.close()
		return nil, fmt.Errorf("start worker: %w", err)
	}
	if cfg.Listen.Metrics != "" && cfg.Listen.Metrics != "off" {
		hm := http.NewServeMux()
		hm.Handle("/metrics", metrics.Handler())
		hm.Handle("/healthz", infra.HealthHandler(func(context.Context) error { return client.Ping() }))
		addr, srv, err := serveHTTP(cfg.Listen.Metrics, hm, logger)
		if err != nil {
			w.srv.Shutdown()
			w.close()
			return nil, fmt.Errorf("listen.metrics: %w", err)
		}
		w.metricsAddr, w.http = addr, srv
	}
	logger.Info("worker started", "config", cfg, "metrics", w.metricsAddr, "queues", jobs.Queues())
	removeStaleSpill(logger)
	return w, nil
}

// removeStaleSpill removes the temp files that killed listwash processes
// left in $TMPDIR: they hold delivery rows in clear.
func removeStaleSpill(logger *slog.Logger) {
	n, err := worker.RemoveStaleSpill("")
	if n > 0 {
		logger.Warn("removed temp files of listwash processes that no longer run", "entries", n)
	}
	if err != nil {
		logger.Warn("could not remove every stale temp file", "error", err)
	}
}

// stop stops taking tasks, waits for running ones up to the shutdown
// timeout (then they are cancelled, nothing is committed, and Asynq
// hands them to another worker), and closes the endpoints.
func (w *runningWorker) stop() {
	w.srv.Shutdown()
	if w.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		w.http.Shutdown(ctx)
		cancel()
	}
	w.close()
}

func (w *runningWorker) close() {
	for _, c := range w.closers {
		c.Close()
	}
}

// serveHTTP listens on addr (port 0: any) and serves h in the background.
func serveHTTP(addr string, h http.Handler, logger *slog.Logger) (string, *http.Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("http server stopped", "addr", l.Addr().String(), "error", err)
		}
	}()
	return l.Addr().String(), srv, nil
}

// asynqLogger routes Asynq's own messages to slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Fatal(args ...any) {
	a.l.Error(fmt.Sprint(args...), "component", "asynq")
	os.Exit(1)
}
