package worker

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/worker/registers"
)

// lineReader is a minimal formats.Reader for runner tests: ';'-separated
// lines, a header, and lines starting with "!" returned as rejects.
type lineReader struct {
	sc     *bufio.Scanner
	header []string
	line   int64
	n      int64
}

func openLines(r io.Reader, _ string) (formats.Reader, error) {
	sc := bufio.NewScanner(r)
	if !sc.Scan() {
		return nil, formats.ErrNoData
	}
	return &lineReader{sc: sc, header: strings.Split(sc.Text(), ";"), line: 1}, nil
}

func (l *lineReader) Header() []string { return l.header }
func (l *lineReader) Mapping() formats.Mapping {
	m := formats.Mapping{Names: l.header}
	for _, h := range l.header {
		f, _ := formats.ParseField(h)
		m.Columns = append(m.Columns, f)
	}
	return m
}
func (l *lineReader) Read(rec *formats.Record) error {
	for l.sc.Scan() {
		l.line++
		t := l.sc.Text()
		l.n += int64(len(t)) + 1
		if t == "" {
			continue
		}
		rec.Line = l.line
		if strings.HasPrefix(t, "!") {
			rec.Fields = rec.Fields[:0]
			rec.Reject, rec.Message, rec.Raw = formats.RejectFieldCount, "bad", t
			return nil
		}
		rec.Fields = append(rec.Fields[:0], strings.Split(t, ";")...)
		return nil
	}
	return io.EOF
}
func (l *lineReader) Info() formats.Info { return formats.Info{Format: "test"} }
func (l *lineReader) BytesRead() int64   { return l.n }
func (l *lineReader) Close() error       { return nil }

func writeInput(t *testing.T, rows int, rejectEvery int) (*infra.LocalStore, string) {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("first_name;last_name;phone\n")
	for i := range rows {
		if i%10 == 5 {
			b.WriteString("\n") // blank lines are not rows
		}
		if rejectEvery > 0 && i%rejectEvery == 0 {
			b.WriteString("!broken\n")
			continue
		}
		fmt.Fprintf(&b, "Anna%d;Berg;070%07d\n", i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "in.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := infra.NewLocalReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	return st, "in.csv"
}

func testConfig(t *testing.T, in *infra.LocalStore, key string) (WashConfig, *infra.LocalStore) {
	out, err := infra.NewLocalStore(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	return WashConfig{
		Env: Env{RunID: "run1", Supplier: "acme", AsOf: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), SourceFile: key},
		In:  in, InKey: key, Out: out, Open: openLines, Workers: 3, Batch: 7, PartRows: 50,
	}, out
}

func readManifest(t *testing.T, out *infra.LocalStore) Manifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out.Root(), ManifestKey))
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestWashCommitsEveryRowOnce(t *testing.T) {
	in, key := writeInput(t, 203, 20)
	cfg, out := testConfig(t, in, key)
	cfg.Mode = ModeWash
	cfg.Stages = func(Env, formats.Mapping) ([]Stage, error) {
		return []Stage{StageFunc{"callable-if-even", func(_ context.Context, b *Batch) error {
			for i := range b.Rows {
				b.Rows[i].Callable = !b.Rows[i].Rejected && b.Rows[i].SourceLine%2 == 0
			}
			return nil
		}}}, nil
	}
	res, err := Wash(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Scorecard.Counts
	if c.Rows != 203 || c.RejectedRows != 11 {
		t.Fatalf("rows %d rejected %d, want 203 and 11", c.Rows, c.RejectedRows)
	}
	m := readManifest(t, out)
	var rowsInParts, callableInParts int64
	for _, f := range m.Files {
		st, err := os.Stat(filepath.Join(out.Root(), f.Key))
		if err != nil || st.Size() != f.Size {
			t.Fatalf("manifest file %s: %v (size %d vs %d)", f.Key, err, st.Size(), f.Size)
		}
		switch {
		case strings.HasPrefix(f.Key, "rows/"):
			rowsInParts += f.Rows
		case strings.HasPrefix(f.Key, "callable/"):
			callableInParts += f.Rows
		}
	}
	if rowsInParts != 203 || callableInParts != c.CallableRows || c.CallableRows == 0 {
		t.Fatalf("parts hold %d rows, %d callable (scorecard %d)", rowsInParts, callableInParts, c.CallableRows)
	}
	rej, err := os.ReadFile(filepath.Join(out.Root(), RejectsKey))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(rej), "\n"); n != 12 { // header + 11
		t.Fatalf("rejects.csv has %d lines, want 12", n)
	}
	// A second run into the same folder is refused; --force replaces it.
	if _, err := Wash(context.Background(), cfg); !errors.Is(err, ErrCommitted) {
		t.Fatalf("second run: %v, want ErrCommitted", err)
	}
	cfg.Force = true
	cfg.Env.RunID = "run2"
	if _, err := Wash(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if m := readManifest(t, out); m.RunID != "run2" {
		t.Fatalf("manifest run %s after --force", m.RunID)
	}
}

func TestWashPanicInStageFailsCleanly(t *testing.T) {
	in, key := writeInput(t, 500, 0)
	cfg, out := testConfig(t, in, key)
	cfg.Stages = func(Env, formats.Mapping) ([]Stage, error) {
		return []Stage{StageFunc{"boom", func(_ context.Context, b *Batch) error {
			if b.Seq == 40 {
				var m map[string]int
				m["x"] = 1 // nil map write: a real panic
			}
			return nil
		}}}, nil
	}
	_, err := Wash(context.Background(), cfg)
	var se *StageError
	if !errors.As(err, &se) || se.Stage != "boom" || !strings.Contains(err.Error(), "panic") {
		t.Fatalf("err = %v, want a StageError from boom mentioning the panic", err)
	}
	keys, _ := out.ListKeys(context.Background(), "")
	if len(keys) != 0 {
		t.Fatalf("failed run left %v", keys)
	}
}

// orderCheck is an Ordered stage that fails if batches arrive out of order.
type orderCheck struct{ next int64 }

func (o *orderCheck) Name() string { return "order" }
func (o *orderCheck) Ordered()     {}
func (o *orderCheck) Process(_ context.Context, b *Batch) error {
	if b.Seq != o.next {
		return fmt.Errorf("got batch %d, want %d", b.Seq, o.next)
	}
	o.next++
	return nil
}

// firstSeen is a Planner: it marks every row whose last name+phone was seen
// on an earlier line, deciding after seeing the whole file.
type firstSeen struct {
	observed int
	first    map[string]int64
	planned  bool
}

func (f *firstSeen) Name() string { return "firstseen" }
func (f *firstSeen) Observe(_ context.Context, b *Batch) error {
	for i := range b.Rows {
		f.observed++
		k := b.Rows[i].LastNameRaw + b.Rows[i].PhoneRaw
		if _, ok := f.first[k]; !ok {
			f.first[k] = b.Rows[i].SourceLine
		}
	}
	return nil
}
func (f *firstSeen) Plan(context.Context) error { f.planned = true; return nil }
func (f *firstSeen) Process(_ context.Context, b *Batch) error {
	if !f.planned {
		return errors.New("process before plan")
	}
	for i := range b.Rows {
		r := &b.Rows[i]
		if first := f.first[r.LastNameRaw+r.PhoneRaw]; !r.Rejected && first != r.SourceLine {
			r.DuplicateOf = first
			r.AddReason(ReasonDuplicate)
		}
	}
	return nil
}

func TestWashOrderedAndPlannerStages(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("first_name;last_name;phone\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "A;B%d;%d\n", i%300, i%300) // 700 repeats of 300 people
	}
	os.WriteFile(filepath.Join(dir, "in.csv"), []byte(b.String()), 0o644)
	in, _ := infra.NewLocalReader(dir)
	cfg, _ := testConfig(t, in, "in.csv")
	fs := &firstSeen{first: map[string]int64{}}
	cfg.Stages = func(Env, formats.Mapping) ([]Stage, error) { return []Stage{fs, &orderCheck{}}, nil }
	res, err := Wash(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if fs.observed != 1000 {
		t.Fatalf("observed %d rows in pass 1", fs.observed)
	}
	c := res.Scorecard.Counts
	if c.DuplicateRows != 700 || c.Persons != 300 {
		t.Fatalf("duplicates %d persons %d, want 700 and 300", c.DuplicateRows, c.Persons)
	}
}

func TestWashHeaderOnlyIsNoData(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "in.csv"), []byte("first_name;last_name\n\n"), 0o644)
	in, _ := infra.NewLocalReader(dir)
	cfg, out := testConfig(t, in, "in.csv")
	if _, err := Wash(context.Background(), cfg); !errors.Is(err, formats.ErrNoData) {
		t.Fatalf("err = %v, want ErrNoData", err)
	}
	if keys, _ := out.ListKeys(context.Background(), ""); len(keys) != 0 {
		t.Fatalf("failed run left %v", keys)
	}
}

func TestWashCancelledDoesNotCommit(t *testing.T) {
	in, key := writeInput(t, 5000, 0)
	cfg, out := testConfig(t, in, key)
	ctx, cancel := context.WithCancel(context.Background())
	cfg.Stages = func(Env, formats.Mapping) ([]Stage, error) {
		return []Stage{StageFunc{"cancel", func(_ context.Context, b *Batch) error {
			if b.Seq == 100 {
				cancel()
			}
			return nil
		}}}, nil
	}
	if _, err := Wash(ctx, cfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(out.Root(), ManifestKey)); !os.IsNotExist(err) {
		t.Fatalf("manifest after cancel: %v", err)
	}
}

func TestTimerKeepsStageKinds(t *testing.T) {
	var tm Timer
	fs := &firstSeen{first: map[string]int64{}}
	wrapped := tm.WrapAll([]Stage{StageFunc{"plain", func(context.Context, *Batch) error { return nil }}, fs, &orderCheck{}})
	if _, ok := wrapped[1].(Planner); !ok {
		t.Fatal("wrapped planner lost Planner")
	}
	if _, ok := wrapped[2].(Ordered); !ok {
		t.Fatal("wrapped ordered stage lost Ordered")
	}
	if _, ok := wrapped[0].(Ordered); ok {
		t.Fatal("plain stage became Ordered")
	}
	in, key := writeInput(t, 300, 0)
	cfg, _ := testConfig(t, in, key)
	cfg.Timer = &tm
	tm.stats = nil
	cfg.Stages = func(Env, formats.Mapping) ([]Stage, error) {
		return []Stage{&firstSeen{first: map[string]int64{}}}, nil
	}
	if _, err := Wash(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	rows := map[string]int64{}
	for _, st := range tm.Times() {
		rows[st.Stage] = st.Rows
	}
	if rows["parse"] != 300 || rows["firstseen"] != 300 || rows["firstseen.observe"] != 300 {
		t.Fatalf("stage rows %v: parse runs once (the writing pass replays the spill), the planner's Process and Observe once each (300)", rows)
	}
}

// Two attempts of one run racing into the same output: exactly one
// commits, the loser removes only its own files, and every file the
// manifest lists exists.
func TestWashConcurrentAttemptsCommitOnce(t *testing.T) {
	in, key := writeInput(t, 3000, 50)
	cfg, out := testConfig(t, in, key)
	errs := make(chan error, 2)
	for _, att := range []string{"a1", "a2"} {
		c := cfg
		c.Attempt = att
		c.Counters = nil
		go func() { _, err := Wash(context.Background(), c); errs <- err }()
	}
	var ok, lost int
	for range 2 {
		switch err := <-errs; {
		case err == nil:
			ok++
		case errors.Is(err, ErrCommitted):
			lost++
		default:
			t.Fatalf("attempt failed: %v", err)
		}
	}
	if ok != 1 || lost != 1 {
		t.Fatalf("%d committed, %d lost; want exactly one of each", ok, lost)
	}
	m := readManifest(t, out)
	var rows int64
	for _, f := range m.Files {
		if !strings.HasPrefix(f.Key, "attempts/") {
			t.Fatalf("data file %s outside the attempt prefix", f.Key)
		}
		if _, err := os.Stat(filepath.Join(out.Root(), f.Key)); err != nil {
			t.Fatalf("manifest lists %s: %v", f.Key, err)
		}
		if strings.Contains(f.Key, "/rows/") {
			rows += f.Rows
		}
	}
	if rows != 3000 {
		t.Fatalf("committed rows %d, want 3000", rows)
	}
	keys, _ := out.ListKeys(context.Background(), "")
	if len(keys) != len(m.Files)+1 {
		t.Fatalf("store holds %d objects, manifest lists %d (+1 manifest): the loser left files", len(keys), len(m.Files))
	}
}

func TestLoadSetupSharesPostcodesBetweenRuns(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "postcodes"), 0o755)
	os.WriteFile(filepath.Join(dir, "postcodes", "postcodes-2026-10-01.csv"), []byte("country,postal_code,place\nSE,111 22,Stockholm\n"), 0o644)
	src, _ := infra.NewLocalReader(dir)
	opts := RegisterOptions("SE")
	opts.Cache = &registers.Cache{}
	a, err := LoadSetup(context.Background(), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadSetup(context.Background(), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if a.Postcodes == nil || a.Postcodes != b.Postcodes || a.PostcodesVersion != "2026-10-01" {
		t.Fatalf("postcodes %p %p version %q: want one shared directory", a.Postcodes, b.Postcodes, a.PostcodesVersion)
	}
	os.WriteFile(filepath.Join(dir, "postcodes", "postcodes-2026-11-01.csv"), []byte("country,postal_code,place\nSE,111 22,Stockholm\n"), 0o644)
	c, err := LoadSetup(context.Background(), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if c.Postcodes == a.Postcodes || c.PostcodesVersion != "2026-11-01" {
		t.Fatal("a new directory version was not loaded")
	}
}
