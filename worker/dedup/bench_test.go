package dedup

import (
	"context"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/listwash/listwash/formats"
)

// BenchmarkDedup washes LISTWASH_DEDUP_BENCH_ROWS rows (default 1M) of
// generated persons with copies and look-alikes: Observe, Plan, Apply, in
// memory and in spill mode (spilling after min(DefaultSpillRows, rows/2)
// rows). Rows are generated in chunks outside the timer and dropped after
// Observe, as the runner does. Reports rows/s, the bytes of dedup state
// per row (StateBytes), the heap growth per row after Observe, and the
// peak heap during Plan above the heap before the first Observe, sampled
// every 2 ms: plan_peak_heap_MiB (heap objects, garbage included, as
// GOMEMLIMIT sees them) and plan_peak_live_MiB (live heap at the end of
// each GC cycle). The generator's rows are not counted: they are garbage
// before Plan. In spill mode the in-memory state of the first SpillRows
// rows (~98 B a row) is a further peak while Observe moves it to disk.
func BenchmarkDedup(b *testing.B) {
	total := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("LISTWASH_DEDUP_BENCH_ROWS")); err == nil && v > 0 {
		total = v
	}
	b.Run("memory", func(b *testing.B) { benchDedup(b, total, Config{SpillRows: -1}) })
	b.Run("spill", func(b *testing.B) {
		benchDedup(b, total, Config{SpillRows: max(1, min(DefaultSpillRows, total/2)), SpillDir: b.TempDir()})
	})
}

func benchDedup(b *testing.B, total int, cfg Config) {
	const chunkPersons = 100_000 // about 135k rows
	for range b.N {
		b.StopTimer()
		runtime.GC()
		var m0 runtime.MemStats
		runtime.ReadMemStats(&m0)
		d := New(cfg)
		g := newGenerator(42)
		var elapsed time.Duration
		n, line := 0, int64(0)
		for n < total {
			g.rows, g.truth = g.rows[:0], g.truth[:0]
			g.generate(min(chunkPersons, (total-n)*3/4+1))
			rows := g.rows[:min(len(g.rows), total-n)]
			for i := range rows {
				line++
				rows[i].SourceLine = line
			}
			runtime.GC() // the generator's garbage is not the deduper's cost
			start := time.Now()
			for i := range rows {
				if err := d.Observe(&rows[i]); err != nil {
					b.Fatal(err)
				}
			}
			elapsed += time.Since(start)
			n += len(rows)
		}
		g = nil
		runtime.GC()
		var m1 runtime.MemStats
		runtime.ReadMemStats(&m1)
		state := d.StateBytes()

		planPeak := startHeapPeak()
		start := time.Now()
		if err := d.Plan(context.Background()); err != nil {
			b.Fatal(err)
		}
		plan := time.Since(start)
		planObj, planLive := planPeak.stop()
		var m2 runtime.MemStats
		runtime.ReadMemStats(&m2)

		batch := make([]formats.Row, 1024)
		start = time.Now()
		for l := int64(1); l <= line; l += int64(len(batch)) {
			for i := range batch {
				batch[i] = formats.Row{SourceLine: l + int64(i)}
			}
			if err := d.Apply(batch); err != nil {
				b.Fatal(err)
			}
		}
		apply := time.Since(start)
		elapsed += plan + apply
		base := float64(m0.HeapAlloc)

		s := d.Stats()
		b.ReportMetric(float64(n)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(state)/float64(n), "state_B/row")
		b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/float64(n), "heap_B/row")
		b.ReportMetric((float64(planObj)-base)/(1<<20), "plan_peak_heap_MiB")
		b.ReportMetric((float64(planLive)-base)/(1<<20), "plan_peak_live_MiB")
		b.Logf("%d rows: observe+plan+apply %v (plan %v, apply %v); %d duplicates (%d exact), %d households, %d comparisons, %d oversized blocks; state %d MiB; heap after observe %d MiB; plan peak heap %.0f MiB, live %.0f MiB",
			n, elapsed.Round(time.Millisecond), plan.Round(time.Millisecond), apply.Round(time.Millisecond),
			s.DuplicateRows, s.ExactDuplicateRows, s.Households, s.Comparisons, s.OversizedBlocks, state>>20,
			(m1.HeapAlloc-m0.HeapAlloc)>>20, (float64(planObj)-base)/(1<<20), (float64(planLive)-base)/(1<<20))
	}
}

// heapPeak samples the heap every 2 ms until stop.
type heapPeak struct {
	done      chan struct{}
	wg        sync.WaitGroup
	obj, live uint64
}

func startHeapPeak() *heapPeak {
	p := &heapPeak{done: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			p.sample()
			select {
			case <-p.done:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *heapPeak) sample() {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	p.obj = max(p.obj, s[0].Value.Uint64())
	p.live = max(p.live, s[1].Value.Uint64())
}

// stop ends sampling and returns the peaks of heap objects and live heap.
func (p *heapPeak) stop() (obj, live uint64) {
	close(p.done)
	p.wg.Wait()
	runtime.GC()
	p.sample()
	return p.obj, p.live
}

// BenchmarkRadixSort sorts a million hashed blocking keys, as Plan does
// once per kind.
func BenchmarkRadixSort(b *testing.B) {
	for _, bc := range []struct {
		name string
		sort func(a, tmp []pair)
	}{{"full", radixSort}, {"hashed", radixSortHashed}} {
		b.Run(bc.name, func(b *testing.B) {
			src := make([]pair, 1<<20)
			for i := range src {
				src[i] = pair{key: mix(uint64(i%700000), 3), idx: uint32(i)}
			}
			a, tmp := make([]pair, len(src)), make([]pair, len(src))
			for b.Loop() {
				copy(a, src)
				bc.sort(a, tmp)
			}
		})
	}
}

// BenchmarkObserve is Observe alone (memory mode) over generated rows, in
// ns/row: the dedup state computed in the reading pass of every wash.
func BenchmarkObserve(b *testing.B) {
	g := newGenerator(42)
	g.generate(50_000)
	rows := g.rows
	for i := range rows {
		rows[i].SourceLine = int64(i + 2)
	}
	d := New(Config{SpillRows: -1})
	k := 0
	for b.Loop() {
		if k == len(rows) {
			b.StopTimer()
			d, k = New(Config{SpillRows: -1}), 0
			b.StartTimer()
		}
		if err := d.Observe(&rows[k]); err != nil {
			b.Fatal(err)
		}
		k++
	}
}
