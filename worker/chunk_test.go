package worker_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/worker"
	"github.com/listwash/listwash/worker/gen"
)

// chunkFixture is a generated delivery with its registers.
type chunkFixture struct {
	dir   string
	in    *infra.LocalStore
	setup *worker.Setup
	env   worker.Env
}

func newChunkFixture(t *testing.T, cfg gen.Config) *chunkFixture {
	t.Helper()
	dir := t.TempDir()
	asOf := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cfg.AsOf, cfg.Company = asOf, "Acme AB"
	if _, err := gen.Generate(context.Background(), cfg, dir); err != nil {
		t.Fatal(err)
	}
	regs, err := infra.NewLocalReader(filepath.Join(dir, "registers"))
	if err != nil {
		t.Fatal(err)
	}
	setup, err := worker.LoadSetup(context.Background(), regs, worker.RegisterOptions("SE"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := infra.NewLocalReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &chunkFixture{dir: dir, in: in, setup: setup, env: worker.Env{RunID: "r1", Supplier: "gen", Company: "Acme AB",
		AsOf: asOf, DefaultCountry: "SE", SourceFile: "delivery.csv"}}
}

func openAuto(r io.Reader, name string) (formats.Reader, error) {
	return formats.Open(r, formats.Options{Name: name})
}

func (f *chunkFixture) embedded(t *testing.T) (*worker.Result, string) {
	t.Helper()
	outDir := filepath.Join(t.TempDir(), "embedded")
	out, _ := infra.NewLocalStore(outDir)
	res, err := worker.Wash(context.Background(), worker.WashConfig{Env: f.env, In: f.in, InKey: "delivery.csv",
		Out: out, Setup: f.setup, Open: openAuto})
	if err != nil {
		t.Fatal(err)
	}
	return res, outDir
}

// chunked plans, washes every chunk (in reverse order, to show order does
// not matter) and merges.
func (f *chunkFixture) chunked(t *testing.T, chunkSize int64, parts int) (*worker.Result, string, *worker.ChunkPlan) {
	t.Helper()
	ctx := context.Background()
	outDir := filepath.Join(t.TempDir(), "chunked")
	out, _ := infra.NewLocalStore(outDir)
	plan := f.washChunks(t, out, chunkSize, f.setup, 1, parts)
	m := formats.MapHeader(plan.Dialect.Header, nil)
	res, err := worker.MergeWash(ctx, worker.WashConfig{Env: f.env, InKey: "delivery.csv", Out: out, Setup: f.setup,
		Attempt: "m1"}, plan, m.Unmapped())
	if err != nil {
		t.Fatal(err)
	}
	return res, outDir, plan
}

// washChunks plans the delivery into chunks of chunkSize bytes (at least
// minChunks of them), with parts dedup partitions, and washes every chunk
// into out, last chunk first.
func (f *chunkFixture) washChunks(t *testing.T, out worker.Sink, chunkSize int64, setup *worker.Setup, minChunks, parts int) *worker.ChunkPlan {
	t.Helper()
	ctx := context.Background()
	rc, err := f.in.Open(ctx, "delivery.csv")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := worker.PlanChunks(ctx, rc, "delivery.csv", openAuto, chunkSize)
	rc.Close()
	if err != nil || len(plan.Chunks) < minChunks {
		t.Fatalf("plan: %v, %d chunks, want at least %d", err, len(plan.Chunks), minChunks)
	}
	plan.MatchParts = parts
	for i := len(plan.Chunks) - 1; i >= 0; i-- {
		if err := worker.WashChunk(ctx, worker.ChunkConfig{Env: f.env, In: f.in, InKey: "delivery.csv", Out: out,
			Plan: plan, Index: i, Setup: setup, Attempt: "a1"}); err != nil {
			t.Fatal(err)
		}
	}
	return plan
}

// allRows reads every row of a committed output folder, by source line.
func allRows(t *testing.T, dir string) map[int64]formats.Row {
	t.Helper()
	var parts []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.Contains(filepath.ToSlash(p), "/rows/") && strings.HasSuffix(p, ".parquet") {
			parts = append(parts, p)
		}
		return nil
	})
	out := map[int64]formats.Row{}
	for _, p := range parts {
		fh, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := fh.Stat()
		pf, err := parquet.OpenFile(fh, st.Size())
		if err != nil {
			t.Fatal(err)
		}
		r := parquet.NewGenericReader[formats.Row](pf)
		buf := make([]formats.Row, 256)
		for {
			n, err := r.Read(buf)
			for _, w := range buf[:n] {
				if _, dup := out[w.SourceLine]; dup {
					t.Fatalf("source_line %d twice in %s", w.SourceLine, dir)
				}
				out[w.SourceLine] = w
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		r.Close()
		fh.Close()
	}
	return out
}

// sortedLines returns a file's lines, sorted: rejects.csv is written in
// batch completion order.
func sortedLines(t *testing.T, dir, name string) []string {
	t.Helper()
	var data []byte
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && filepath.Base(p) == name {
			data, _ = os.ReadFile(p)
		}
		return nil
	})
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	slices.Sort(lines)
	return lines
}

// compareWashes asserts that two committed outputs hold the same rows with
// the same marks, the same rejects and the same scorecard counts.
func compareWashes(t *testing.T, a *worker.Result, aDir string, b *worker.Result, bDir string) {
	t.Helper()
	ra, rb := allRows(t, aDir), allRows(t, bDir)
	if len(ra) != len(rb) || len(ra) == 0 {
		t.Fatalf("%d rows embedded, %d chunked", len(ra), len(rb))
	}
	diffs := 0
	for line, x := range ra {
		y, ok := rb[line]
		if !ok {
			t.Fatalf("line %d missing from the chunked output", line)
		}
		if !reflect.DeepEqual(normRow(x), normRow(y)) {
			diffs++
			if diffs <= 3 {
				t.Errorf("line %d differs:\nembedded %+v\nchunked  %+v", line, x, y)
			}
		}
	}
	if diffs > 0 {
		t.Fatalf("%d of %d rows differ", diffs, len(ra))
	}
	sa, sb := a.Scorecard, b.Scorecard
	if sa.Counts != sb.Counts || !reflect.DeepEqual(sa.Reasons, sb.Reasons) || !reflect.DeepEqual(sa.Dedup, sb.Dedup) ||
		sa.Input.SHA256 != sb.Input.SHA256 || sa.Input.Size != sb.Input.Size || sa.Input.Read != sb.Input.Read ||
		!reflect.DeepEqual(sa.UnmappedColumns, sb.UnmappedColumns) {
		t.Fatalf("scorecards differ:\nembedded %+v\nchunked  %+v", sa, sb)
	}
	if x, y := sortedLines(t, aDir, worker.RejectsKey), sortedLines(t, bDir, worker.RejectsKey); !reflect.DeepEqual(x, y) {
		t.Fatalf("rejects differ: %d lines embedded, %d chunked", len(x), len(y))
	}
}

// normRow makes nil and empty lists equal: Parquet does not tell them apart.
func normRow(r formats.Row) formats.Row {
	for _, s := range []*[]string{&r.Phones, &r.Reasons, &r.Extra} {
		if len(*s) == 0 {
			*s = nil
		}
	}
	return r
}

func TestChunkedWashEqualsEmbedded(t *testing.T) {
	cases := []struct {
		name      string
		rows      int
		chunkSize int64
		parts     int // dedup partitions
		mutate    func(*gen.Config)
	}{
		{"utf-8 semicolon, many chunks", 20000, 256 << 10, 0, func(c *gen.Config) { c.DefectRate = 0.05 }},
		{"utf-8 semicolon, many chunks, 7 partitions", 20000, 256 << 10, 7, func(c *gen.Config) { c.DefectRate = 0.05 }},
		{"windows-1252 crlf, english shuffled, 2 partitions", 8000, 100 << 10, 2, func(c *gen.Config) {
			c.Encoding, c.CRLF, c.Delimiter, c.Headers, c.ShuffleColumns = "windows-1252", true, ',', "en", true
		}},
		{"utf-8 bom, one chunk", 3000, 64 << 20, 0, func(c *gen.Config) { c.Encoding = "utf-8-bom" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := gen.DefaultConfig()
			cfg.Rows, cfg.Seed = tc.rows, 11
			tc.mutate(&cfg)
			f := newChunkFixture(t, cfg)
			a, aDir := f.embedded(t)
			b, bDir, plan := f.chunked(t, tc.chunkSize, tc.parts)
			t.Logf("%d rows, %d chunks, %d partitions", plan.Records, len(plan.Chunks), plan.MatchParts)
			compareWashes(t, a, aDir, b, bDir)
		})
	}
}

// TestChunkKilledMidRunCommitsOnce: an attempt of a chunk cancelled in the
// middle leaves no marker and no file; a second attempt finishes it, a
// duplicate third attempt changes nothing, and the merge commits once with
// every row accounted for.
func TestChunkKilledMidRunCommitsOnce(t *testing.T) {
	cfg := gen.DefaultConfig()
	cfg.Rows, cfg.Seed = 20000, 3
	f := newChunkFixture(t, cfg)
	ctx := context.Background()
	outDir := filepath.Join(t.TempDir(), "chunked")
	out, _ := infra.NewLocalStore(outDir)
	rc, _ := f.in.Open(ctx, "delivery.csv")
	plan, err := worker.PlanChunks(ctx, rc, "delivery.csv", openAuto, 512<<10)
	rc.Close()
	if err != nil || len(plan.Chunks) < 2 {
		t.Fatalf("plan: %v, %d chunks", err, len(plan.Chunks))
	}
	washFrom := func(ctx context.Context, in worker.RangeSource, i int, attempt string) error {
		return worker.WashChunk(ctx, worker.ChunkConfig{Env: f.env, In: in, InKey: "delivery.csv", Out: out,
			Plan: plan, Index: i, Setup: f.setup, Attempt: attempt, Batch: 256})
	}
	wash := func(ctx context.Context, i int, attempt string) error { return washFrom(ctx, f.in, i, attempt) }
	// The killed attempt is cancelled once it has read 64 KiB of its
	// chunk: in the middle, whatever the machine's speed.
	killed, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := washFrom(killed, cancellingSource{RangeSource: f.in, after: 64 << 10, cancel: cancel}, 0, "killed"); err == nil {
		t.Fatal("the cancelled attempt succeeded")
	}
	if keys, _ := out.ListKeys(ctx, worker.ChunksDir+"/"); len(keys) != 0 {
		t.Fatalf("a killed attempt left %v", keys)
	}
	for i := range plan.Chunks {
		if err := wash(ctx, i, "a2"); err != nil {
			t.Fatal(err)
		}
	}
	if err := wash(ctx, 0, "a3"); err != nil { // a late duplicate
		t.Fatal(err)
	}
	m := formats.MapHeader(plan.Dialect.Header, nil)
	res, err := worker.MergeWash(ctx, worker.WashConfig{Env: f.env, InKey: "delivery.csv", Out: out, Setup: f.setup,
		Attempt: "m1"}, plan, m.Unmapped())
	if err != nil {
		t.Fatal(err)
	}
	if res.Scorecard.Counts.Rows != plan.Records {
		t.Fatalf("%d rows committed, %d records in the file", res.Scorecard.Counts.Rows, plan.Records)
	}
	if _, err := worker.MergeWash(ctx, worker.WashConfig{Env: f.env, InKey: "delivery.csv", Out: out, Setup: f.setup,
		Attempt: "m2"}, plan, m.Unmapped()); !errors.Is(err, worker.ErrCommitted) {
		t.Fatalf("second merge: %v, want ErrCommitted", err)
	}
	a, aDir := f.embedded(t)
	compareWashes(t, a, aDir, res, outDir)
}

// cancellingSource reads ranges of RangeSource and calls cancel once
// after bytes of a range have been read.
type cancellingSource struct {
	worker.RangeSource
	after  int64
	cancel context.CancelFunc
}

func (s cancellingSource) OpenRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	rc, err := s.RangeSource.OpenRange(ctx, key, offset, length)
	if err != nil {
		return nil, err
	}
	return &cancellingReader{ReadCloser: rc, left: s.after, cancel: s.cancel}, nil
}

type cancellingReader struct {
	io.ReadCloser
	left   int64
	cancel context.CancelFunc
}

func (r *cancellingReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if r.left -= int64(n); r.left <= 0 {
		r.cancel()
	}
	return n, err
}

// A wash whose spill is packed from the first frame (packAfter 0) gives
// the output of one that never packs.
func TestPackedSpillEqualsPlain(t *testing.T) {
	cfg := gen.DefaultConfig()
	cfg.Rows, cfg.Seed, cfg.DefectRate = 8000, 21, 0.05
	f := newChunkFixture(t, cfg)
	restore := worker.SetPackAfter(1 << 62)
	a, aDir := f.embedded(t)
	restore()
	defer worker.SetPackAfter(0)()
	b, bDir := f.embedded(t)
	compareWashes(t, a, aDir, b, bDir)
}
