package gen

import (
	"context"
	"io"
	"testing"
	"time"
)

var benchAsOf = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

func benchConfig(rows int) Config {
	cfg := DefaultConfig()
	cfg.Rows, cfg.AsOf = rows, benchAsOf
	return cfg
}

// BenchmarkWriteDelivery measures generation alone: uncompressed CSV to
// io.Discard, no truth, no registers.
func BenchmarkWriteDelivery(b *testing.B) {
	const rows = 1_000_000
	for b.Loop() {
		if _, err := WriteDelivery(context.Background(), io.Discard, benchConfig(rows)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkGenerate measures the whole command: delivery, truth and
// registers written to files.
func BenchmarkGenerate(b *testing.B) {
	const rows = 1_000_000
	dir := b.TempDir()
	for b.Loop() {
		if _, err := Generate(context.Background(), benchConfig(rows), dir); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}
