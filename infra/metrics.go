package infra

import (
	"context"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the runtime's Prometheus metrics, on their own registry.
// Labels are statuses, stage and queue names only: never data, file
// names or suppliers.
type Metrics struct {
	Registry     *prometheus.Registry
	rows         prometheus.Counter
	runs         *prometheus.CounterVec
	runSeconds   *prometheus.HistogramVec
	stageSeconds *prometheus.HistogramVec
}

// NewMetrics registers the runtime metrics and the Go/process collectors.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		rows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "listwash_rows_washed_total", Help: "Rows of committed runs."}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "listwash_runs_total", Help: "Wash task attempts by outcome: committed, failed, duplicate, retry."},
			[]string{"status"}),
		runSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "listwash_run_seconds", Help: "Wall time of a wash task attempt by outcome.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 16)}, []string{"status"}),
		stageSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "listwash_stage_busy_seconds", Help: "Busy time of one stage in one committed run (summed over goroutines).",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 12)}, []string{"stage"}),
	}
	reg.MustRegister(m.rows, m.runs, m.runSeconds, m.stageSeconds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveRun counts one task attempt; rows count only when committed.
func (m *Metrics) ObserveRun(status string, rows int64, elapsed time.Duration) {
	m.runs.WithLabelValues(status).Inc()
	m.runSeconds.WithLabelValues(status).Observe(elapsed.Seconds())
	if status == "committed" {
		m.rows.Add(float64(rows))
	}
}

// ObserveStage records one stage's busy time in a committed run.
func (m *Metrics) ObserveStage(stage string, busy time.Duration, _ int64) {
	m.stageSeconds.WithLabelValues(stage).Observe(busy.Seconds())
}

// QueueInfoer reads queue sizes; *asynq.Inspector satisfies it.
type QueueInfoer interface {
	Queues() ([]string, error)
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

// WatchQueues exports listwash_queue_tasks{queue,state} (pending, active,
// scheduled, retry, archived, completed), read from Redis at each scrape.
func (m *Metrics) WatchQueues(insp QueueInfoer, queues []string) {
	m.Registry.MustRegister(&queueCollector{insp: insp, queues: queues,
		desc: prometheus.NewDesc("listwash_queue_tasks", "Tasks in a queue by state.", []string{"queue", "state"}, nil),
		up:   prometheus.NewDesc("listwash_queue_up", "1 if the queue could be read from Redis.", nil, nil)})
}

type queueCollector struct {
	insp     QueueInfoer
	queues   []string
	desc, up *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc; ch <- c.up }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	up := 1.0
	known := map[string]bool{}
	names, err := c.insp.Queues()
	if err != nil {
		up = 0
	}
	for _, q := range names {
		known[q] = true
	}
	for _, q := range c.queues {
		info := &asynq.QueueInfo{} // a queue that never held a task does not exist yet: zeros
		if known[q] {
			if info, err = c.insp.GetQueueInfo(q); err != nil {
				up = 0
				continue
			}
		} else if up == 0 {
			continue
		}
		for state, n := range map[string]int{"pending": info.Pending, "active": info.Active, "scheduled": info.Scheduled,
			"retry": info.Retry, "archived": info.Archived, "completed": info.Completed} {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), q, state)
		}
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up)
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// HealthHandler serves /healthz: 200 "ok" while check passes (nil: always),
// else 503 with the error (which must hold no secret).
func HealthHandler(check func(ctx context.Context) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if check != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			defer cancel()
			if err := check(ctx); err != nil {
				http.Error(w, "unhealthy: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		w.Write([]byte("ok\n"))
	})
}
