package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/worker"
	"github.com/listwash/listwash/worker/dedup"
	"github.com/listwash/listwash/worker/gen"
)

var testIndexKey = dedup.IndexKey{ID: "test", Secret: []byte("test secret, 16 bytes or more")}

// The three steps that end a chunked run, as separate tasks would run
// them, with the contact index on: the plan; each chunk applied (one
// twice at once, one again after it was done, one attempt cancelled);
// commits refused while a chunk is missing or a marker does not add up;
// then one commit. The output, the scorecard (seen-before counts
// included) and the run's index segment equal those of the embedded wash.
func TestApplyStepsEqualEmbedded(t *testing.T) {
	cfg := gen.DefaultConfig()
	cfg.Rows, cfg.Seed, cfg.DefectRate = 20000, 5, 0.05
	f := newChunkFixture(t, cfg)
	ctx := context.Background()

	// Two index stores, each holding an earlier delivery of another
	// supplier (the same file), so that seen-before marks are set.
	setupWithIndex := func() (*worker.Setup, string) {
		dir := t.TempDir()
		st, err := infra.NewLocalStore(dir)
		if err != nil {
			t.Fatal(err)
		}
		s := *f.setup
		s.Index, s.IndexKey = st, testIndexKey
		prev := f.env
		prev.RunID, prev.Supplier, prev.AsOf = "r0", "other", prev.AsOf.AddDate(0, -1, 0)
		out, _ := infra.NewLocalStore(filepath.Join(t.TempDir(), "prev"))
		if _, err := worker.Wash(ctx, worker.WashConfig{Env: prev, In: f.in, InKey: "delivery.csv", Out: out,
			Setup: &s, Open: openAuto}); err != nil {
			t.Fatal(err)
		}
		return &s, dir
	}
	setupA, indexA := setupWithIndex()
	setupB, indexB := setupWithIndex()

	aDir := filepath.Join(t.TempDir(), "embedded")
	aOut, _ := infra.NewLocalStore(aDir)
	a, err := worker.Wash(ctx, worker.WashConfig{Env: f.env, In: f.in, InKey: "delivery.csv", Out: aOut,
		Setup: setupA, Open: openAuto})
	if err != nil {
		t.Fatal(err)
	}
	if a.Scorecard.Dedup.SeenBeforeOtherSupplier == 0 {
		t.Fatal("weak test: nothing seen before")
	}

	bDir := filepath.Join(t.TempDir(), "chunked")
	out, _ := infra.NewLocalStore(bDir)
	plan := f.washChunks(t, out, 400<<10, setupB, 3, 4)
	wc := func(attempt string) worker.WashConfig {
		return worker.WashConfig{Env: f.env, InKey: "delivery.csv", Out: out, Setup: setupB, Attempt: attempt}
	}
	unmapped := formats.MapHeader(plan.Dialect.Header, nil).Unmapped()
	if _, err := worker.ApplyChunk(ctx, wc("early"), plan, 0); !errors.Is(err, worker.ErrChunksMissing) {
		t.Fatalf("apply before the plan: %v, want ErrChunksMissing", err)
	}
	// Partitioned matching: the merge waits for every partition; a
	// partition matched twice keeps the first attempt's pairs.
	for p := range plan.MatchParts {
		if _, err := worker.MergePlan(ctx, wc("m0"), plan); !errors.Is(err, worker.ErrChunksMissing) {
			t.Fatalf("merge with %d of %d partitions matched: %v, want ErrChunksMissing", p, plan.MatchParts, err)
		}
		info, err := worker.MatchPartition(ctx, wc("q1"), plan, p)
		if err != nil || info.Existing || info.Rows == 0 {
			t.Fatalf("match partition %d: %+v, %v", p, info, err)
		}
		if again, err := worker.MatchPartition(ctx, wc("q2"), plan, p); err != nil || !again.Existing {
			t.Fatalf("a retried match of partition %d: %+v, %v", p, again, err)
		}
	}
	if _, err := worker.MatchPartition(ctx, wc("q3"), plan, plan.MatchParts); err == nil {
		t.Fatal("matched a partition past the plan's")
	}
	if _, err := worker.MergePlan(ctx, wc("m1"), plan); err != nil {
		t.Fatal(err)
	}
	if _, err := worker.MergePlan(ctx, wc("m2"), plan); err != nil {
		t.Fatalf("a retried merge: %v", err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := worker.ApplyChunk(cancelled, wc("killed"), plan, 0); err == nil {
		t.Fatal("a cancelled apply succeeded")
	}
	var wg sync.WaitGroup
	racers := make([]*worker.AppliedChunk, 2)
	for k, attempt := range []string{"race1", "race2"} {
		wg.Go(func() {
			m, err := worker.ApplyChunk(ctx, wc(attempt), plan, 1)
			if err != nil {
				t.Error(err)
			}
			racers[k] = m
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if racers[0].Attempt != racers[1].Attempt {
		t.Fatalf("racing attempts report different winners %s and %s", racers[0].Attempt, racers[1].Attempt)
	}
	for i := range plan.Chunks {
		if i == len(plan.Chunks)-1 {
			if _, err := worker.CommitChunks(ctx, wc("x1"), plan, unmapped); !errors.Is(err, worker.ErrChunksMissing) {
				t.Fatalf("commit with a chunk not applied: %v, want ErrChunksMissing", err)
			}
		}
		if _, err := worker.ApplyChunk(ctx, wc("p1"), plan, i); err != nil {
			t.Fatal(err)
		}
	}
	if m, err := worker.ApplyChunk(ctx, wc("late"), plan, 2); err != nil || m.Attempt != "p1" {
		t.Fatalf("a late duplicate apply: %v, marker of %v", err, m)
	}

	// A marker that does not add up with its chunk fails the commit. (Its
	// other counts are trusted: the apply read its parts back against them
	// before it wrote the marker.)
	data, err := os.ReadFile(filepath.Join(bDir, worker.AppliedKey(2)))
	if err != nil {
		t.Fatal(err)
	}
	var m worker.AppliedChunk
	json.Unmarshal(data, &m)
	m.Counts.Rows++
	bad, _ := json.Marshal(m)
	os.WriteFile(filepath.Join(bDir, worker.AppliedKey(2)), bad, 0o644)
	if _, err := worker.CommitChunks(ctx, wc("x3"), plan, unmapped); !errors.Is(err, worker.ErrAccounting) {
		t.Fatalf("commit with a marker one row over: %v, want ErrAccounting", err)
	}
	os.WriteFile(filepath.Join(bDir, worker.AppliedKey(2)), data, 0o644)

	b, err := worker.CommitChunks(ctx, wc("k1"), plan, unmapped)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := worker.CommitChunks(ctx, wc("k2"), plan, unmapped); !errors.Is(err, worker.ErrCommitted) {
		t.Fatalf("second commit: %v, want ErrCommitted", err)
	}
	compareWashes(t, a, aDir, b, bDir)

	// Every data file of an attempt is in the manifest: losers and the
	// cancelled attempt left nothing.
	listed := map[string]bool{}
	for _, f := range b.Manifest.Files {
		listed[f.Key] = true
	}
	keys, _ := out.ListKeys(ctx, "attempts/")
	if len(keys) != len(listed) {
		t.Errorf("%d files under attempts/, %d in the manifest", len(keys), len(listed))
	}
	for _, k := range keys {
		if !listed[k] {
			t.Errorf("%s is not in the manifest", k)
		}
	}
	if n := len(b.Manifest.Files); n < len(plan.Chunks)+2 {
		t.Errorf("manifest lists %d files for %d chunks", n, len(plan.Chunks))
	}

	// The run's index segment is the embedded run's, byte for byte.
	seg := func(dir string) []byte {
		data, err := os.ReadFile(filepath.Join(dir, strings.TrimSuffix(dedup.IndexPrefix, "/"), "seg", f.env.RunID+".lwix"))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	if sa, sb := seg(indexA), seg(indexB); !bytes.Equal(sa, sb) || len(sa) < 1000 {
		t.Fatalf("index segments differ: %d bytes embedded, %d chunked", len(sa), len(sb))
	}
}

// Chunks written without their dedup state, or with a state of another
// version (by an older worker during a rolling upgrade), are merged from
// their rows: the same output.
func TestMergeChunksWithoutDedupState(t *testing.T) {
	for _, tc := range []struct {
		name   string
		parts  int
		change func(t *testing.T, dir string, d *worker.ChunkDone, i int)
	}{
		{"no state", 0, func(t *testing.T, dir string, d *worker.ChunkDone, _ int) {
			os.Remove(filepath.Join(dir, d.Recs))
			d.Recs, d.RecsSize, d.RecRows = "", 0, 0
		}},
		{"rows files of the older version", 0, func(t *testing.T, dir string, d *worker.ChunkDone, i int) {
			path := filepath.Join(dir, d.Key)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			v1, err := worker.ChunkRowsToV1(data)
			if err != nil || len(v1) < len(data)*2 {
				t.Fatalf("chunk %d: %d packed bytes rewrote to %d unpacked: %v", i, len(data), len(v1), err)
			}
			os.WriteFile(path, v1, 0o644)
			d.Size = int64(len(v1))
		}},
		{"one chunk without partition files", 3, func(t *testing.T, dir string, d *worker.ChunkDone, i int) {
			if len(d.Parts) != 3 {
				t.Fatalf("chunk %d has %d partition files, want 3", i, len(d.Parts))
			}
			if i == 1 {
				d.Parts = nil
			}
		}},
		{"one chunk's state of another version", 0, func(t *testing.T, dir string, d *worker.ChunkDone, i int) {
			if i != 1 {
				return
			}
			path := filepath.Join(dir, d.Recs)
			data, err := os.ReadFile(path)
			if err != nil || !bytes.HasPrefix(data, []byte(dedup.EncodedMagic)) {
				t.Fatalf("chunk %d dedup state: %v", i, err)
			}
			os.WriteFile(path, append([]byte("listwash-dedup-recs-v0 80\n"), data[len(dedup.EncodedMagic):]...), 0o644)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := gen.DefaultConfig()
			cfg.Rows, cfg.Seed = 6000, 8
			f := newChunkFixture(t, cfg)
			ctx := context.Background()
			bDir := filepath.Join(t.TempDir(), "chunked")
			out, _ := infra.NewLocalStore(bDir)
			plan := f.washChunks(t, out, 200<<10, f.setup, 2, tc.parts)
			for i := range plan.Chunks {
				path := filepath.Join(bDir, worker.ChunkDoneKey(i))
				data, _ := os.ReadFile(path)
				var d worker.ChunkDone
				if err := json.Unmarshal(data, &d); err != nil || d.Recs == "" || d.RecRows == 0 {
					t.Fatalf("chunk %d marker without dedup state: %s", i, data)
				}
				tc.change(t, bDir, &d, i)
				data, _ = json.Marshal(d)
				os.WriteFile(path, data, 0o644)
			}
			b, err := worker.MergeWash(ctx, worker.WashConfig{Env: f.env, InKey: "delivery.csv", Out: out, Setup: f.setup,
				Attempt: "m1"}, plan, formats.MapHeader(plan.Dialect.Header, nil).Unmapped())
			if err != nil {
				t.Fatal(err)
			}
			a, aDir := f.embedded(t)
			compareWashes(t, a, aDir, b, bDir)
		})
	}
}

// In wash mode every applied chunk writes its callable and mailable rows
// too; the committed run lists them, and they hold exactly the rows the
// scorecard counts.
func TestChunkedWashModeParts(t *testing.T) {
	cfg := gen.DefaultConfig()
	cfg.Rows, cfg.Seed = 5000, 9
	f := newChunkFixture(t, cfg)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "chunked")
	out, _ := infra.NewLocalStore(dir)
	plan := f.washChunks(t, out, 150<<10, f.setup, 2, 0)
	res, err := worker.MergeWash(ctx, worker.WashConfig{Env: f.env, InKey: "delivery.csv", Out: out, Setup: f.setup,
		Mode: worker.ModeWash, Attempt: "m1"}, plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Scorecard.Counts
	if c.CallableRows == 0 || c.MailableRows == 0 || c.CallableRows == c.Rows {
		t.Fatalf("weak test data: %+v", c)
	}
	for _, tc := range []struct {
		dir  string
		want int64
	}{{worker.CallableDir, c.CallableRows}, {worker.MailableDir, c.MailableRows}, {worker.RowsDir, c.Rows}} {
		var listed, inFiles int64
		parts := 0
		for _, f := range res.Manifest.Files {
			if strings.Contains(f.Key, "/"+tc.dir+"/") {
				listed += f.Rows
				parts++
				inFiles += parquetFileRows(t, filepath.Join(dir, f.Key))
			}
		}
		if listed != tc.want || inFiles != tc.want || parts < len(plan.Chunks) {
			t.Errorf("%s: %d rows listed in %d parts, %d in the files; the scorecard counts %d", tc.dir, listed, parts, inFiles, tc.want)
		}
	}
}

func parquetFileRows(t *testing.T, path string) int64 {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	st, _ := fh.Stat()
	pf, err := parquet.OpenFile(fh, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	return pf.NumRows()
}

// The merge plans from the chunks' dedup state alone: it never opens a
// chunk's rows.
func TestMergePlanReadsNoRows(t *testing.T) {
	cfg := gen.DefaultConfig()
	cfg.Rows, cfg.Seed = 4000, 4
	f := newChunkFixture(t, cfg)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "chunked")
	out, _ := infra.NewLocalStore(dir)
	plan := f.washChunks(t, out, 150<<10, f.setup, 2, 0)
	rows, _ := filepath.Glob(filepath.Join(dir, worker.ChunksDir, "*", "*.rows"))
	if len(rows) != len(plan.Chunks) {
		t.Fatalf("%d rows files for %d chunks", len(rows), len(plan.Chunks))
	}
	for _, p := range rows {
		os.Remove(p)
	}
	info, err := worker.MergePlan(ctx, worker.WashConfig{Env: f.env, InKey: "delivery.csv", Out: out, Setup: f.setup,
		Attempt: "m1"}, plan)
	if err != nil {
		t.Fatal(err)
	}
	if info.Dedup.Persons+info.Dedup.DuplicateRows == 0 || info.Dedup.DuplicateRows == 0 {
		t.Fatalf("weak plan: %+v", info.Dedup)
	}
}
