package dedup

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/listwash/listwash/formats"
)

// BenchmarkDedup washes LISTWASH_DEDUP_BENCH_ROWS rows (default 1M) of
// generated persons with copies and look-alikes: Observe, Plan, Apply.
// Rows are generated in chunks outside the timer and dropped after
// Observe, as the runner does. Reports rows/s, the bytes of dedup state
// per row (StateBytes) and the heap growth per row after Observe and at
// the end of Plan.
func BenchmarkDedup(b *testing.B) {
	total := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("LISTWASH_DEDUP_BENCH_ROWS")); err == nil && v > 0 {
		total = v
	}
	const chunkPersons = 100_000 // about 135k rows
	for range b.N {
		b.StopTimer()
		runtime.GC()
		var m0 runtime.MemStats
		runtime.ReadMemStats(&m0)
		d := New(Config{})
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

		start := time.Now()
		if err := d.Plan(context.Background()); err != nil {
			b.Fatal(err)
		}
		plan := time.Since(start)
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

		s := d.Stats()
		b.ReportMetric(float64(n)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(state)/float64(n), "state_B/row")
		b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/float64(n), "heap_B/row")
		b.ReportMetric(float64(m2.TotalAlloc-m1.TotalAlloc)/float64(n), "plan_alloc_B/row")
		b.Logf("%d rows: observe+plan+apply %v (plan %v, apply %v); %d duplicates (%d exact), %d households, %d comparisons, %d oversized blocks; state %d MiB",
			n, elapsed.Round(time.Millisecond), plan.Round(time.Millisecond), apply.Round(time.Millisecond),
			s.DuplicateRows, s.ExactDuplicateRows, s.Households, s.Comparisons, s.OversizedBlocks, state>>20)
	}
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
