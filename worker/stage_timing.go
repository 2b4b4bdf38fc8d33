package worker

import (
	"context"
	"sync/atomic"
	"time"
)

// StageTime is how long a stage was busy and how many rows it saw. Busy
// time is summed over goroutines, so a parallel stage can be busy longer
// than the run's wall time.
type StageTime struct {
	Stage string        `json:"stage"`
	Busy  time.Duration `json:"busy_ns"`
	Rows  int64         `json:"rows"`
}

// RowsPerSecond is the stage's throughput per busy core.
func (s StageTime) RowsPerSecond() float64 {
	if s.Busy <= 0 {
		return 0
	}
	return float64(s.Rows) / s.Busy.Seconds()
}

// Timer decorates stages to measure them, keeping their Ordered and Planner
// nature. Observability is added around stages, not inside them.
type Timer struct {
	stats []*stageStat
}

type stageStat struct {
	name string
	busy atomic.Int64
	rows atomic.Int64
}

func (st *stageStat) time(start time.Time, rows int) {
	st.busy.Add(int64(time.Since(start)))
	st.rows.Add(int64(rows))
}

// Wrap returns s measured by the timer.
func (t *Timer) Wrap(s Stage) Stage {
	st := &stageStat{name: s.Name()}
	t.stats = append(t.stats, st)
	base := timed{s: s, st: st}
	switch s := s.(type) {
	case Planner:
		obs := &stageStat{name: s.Name() + ".observe"}
		t.stats = append(t.stats, obs)
		return timedPlanner{timed: base, p: s, obs: obs}
	case Ordered:
		return timedOrdered{base}
	}
	return base
}

// WrapAll wraps every stage.
func (t *Timer) WrapAll(stages []Stage) []Stage {
	out := make([]Stage, len(stages))
	for i, s := range stages {
		out[i] = t.Wrap(s)
	}
	return out
}

// Times returns the figures so far, in stage order.
func (t *Timer) Times() []StageTime {
	out := make([]StageTime, len(t.stats))
	for i, s := range t.stats {
		out[i] = StageTime{Stage: s.name, Busy: time.Duration(s.busy.Load()), Rows: s.rows.Load()}
	}
	return out
}

type timed struct {
	s  Stage
	st *stageStat
}

func (t timed) Name() string { return t.s.Name() }
func (t timed) Process(ctx context.Context, b *Batch) error {
	defer t.st.time(time.Now(), len(b.Rows))
	return t.s.Process(ctx, b)
}

type timedOrdered struct{ timed }

func (timedOrdered) Ordered() {}

type timedPlanner struct {
	timed
	p   Planner
	obs *stageStat
}

func (t timedPlanner) Observe(ctx context.Context, b *Batch) error {
	defer t.obs.time(time.Now(), len(b.Rows))
	return t.p.Observe(ctx, b)
}
func (t timedPlanner) Plan(ctx context.Context) error { return t.p.Plan(ctx) }
