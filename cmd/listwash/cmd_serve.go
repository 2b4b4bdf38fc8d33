package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hibiken/asynqmon"

	"github.com/listwash/listwash/infra"
)

// serveRoot is where the queue web UI is mounted.
const serveRoot = "/queues"

func runServe(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs, config, verbose := runtimeFlags("serve", stderr)
	readOnly := fs.Bool("read-only", false, "view only: no retrying, archiving or deleting tasks from the UI")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, logger, err := loadRuntime(*config, *verbose, stderr)
	if err != nil {
		return err
	}
	s, err := startServe(cfg, *readOnly, logger)
	if err != nil {
		return err
	}
	<-ctx.Done()
	s.stop()
	return nil
}

type runningServe struct {
	addr string
	http *http.Server
	mon  *asynqmon.HTTPHandler
}

// startServe serves the Asynq web UI (asynqmon) at /queues/ and /healthz
// on listen.serve. The UI has no login of its own: keep it on loopback or
// behind an authenticating proxy.
func startServe(cfg infra.Config, readOnly bool, logger *slog.Logger) (*runningServe, error) {
	mon := asynqmon.New(asynqmon.Options{RootPath: serveRoot, RedisConnOpt: cfg.RedisConfig().ClientOpt(), ReadOnly: readOnly})
	mux := http.NewServeMux()
	mux.Handle(serveRoot+"/", mon)
	mux.Handle("/healthz", infra.HealthHandler(nil))
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, serveRoot+"/", http.StatusFound)
	})
	addr, srv, err := serveHTTP(cfg.Listen.Serve, mux, logger)
	if err != nil {
		mon.Close()
		return nil, fmt.Errorf("listen.serve: %w", err)
	}
	host := addr
	if strings.HasPrefix(host, "[::]") || strings.HasPrefix(host, "0.0.0.0") {
		logger.Warn("the queue UI has no login and listens on every interface")
	}
	logger.Info("serve started", "ui", "http://"+host+serveRoot+"/", "read_only", readOnly)
	return &runningServe{addr: addr, http: srv, mon: mon}, nil
}

func (s *runningServe) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	s.http.Shutdown(ctx)
	cancel()
	s.mon.Close()
}
