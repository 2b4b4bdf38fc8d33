package dedup

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/infra"
)

var testKey = IndexKey{ID: "k1", Secret: []byte("0123456789abcdef0123")}

func person(pnr, mobile, email string) formats.Row {
	r := formats.Row{FirstName: "Anna", LastName: "Berg"}
	if pnr != "" {
		r.PNR, r.PNRValid = pnr, true
	}
	r.MobileE164 = mobile
	if email != "" {
		r.Email, r.EmailValid = email, true
	}
	return r
}

// wash marks rows against the index and commits the run.
func wash(t *testing.T, st IndexStore, key IndexKey, run RunInfo, rows []formats.Row) []Seen {
	t.Helper()
	ctx := context.Background()
	ix, err := OpenIndex(ctx, st, key, run)
	if err != nil {
		t.Fatal(err)
	}
	m := ix.Marker()
	var out []Seen
	for i := range rows {
		s := *m.Mark(&rows[i])
		s.Others = slices.Clone(s.Others)
		slices.Sort(s.Others)
		out = append(out, s)
	}
	m.Done()
	if err := ix.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ix.Commit(ctx); !errors.Is(err, ErrIndexClosed) {
		t.Errorf("second Commit: %v, want ErrIndexClosed", err)
	}
	return out
}

func TestIndexAcrossDeliveries(t *testing.T) {
	dir := t.TempDir()
	st, err := infra.NewLocalStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	wash(t, st, testKey, RunInfo{"acme", "run-2", "2025-02-01"}, []formats.Row{
		person("198001011238", "+46701111111", ""),
		person("", "+46702222222", "a.b@example.se"),
	})
	wash(t, st, testKey, RunInfo{"bolaget", "run-1", "2025-01-15"}, []formats.Row{
		person("", "+46702222222", ""),
	})
	got := wash(t, st, testKey, RunInfo{"acme", "run-3", "2025-03-01"}, []formats.Row{
		person("198001011238", "", ""),               // acme's pnr
		person("", "+46709999999", "A.B@Example.se"), // acme's e-mail in another case
		person("", "+46702222222", ""),               // both suppliers; bolaget first
		person("199901011234", "+46703333333", "new@example.se"),
	})
	want := []Seen{
		{Label: "acme/run-2/2025-02-01", SameSupplier: true},
		{Label: "acme/run-2/2025-02-01", SameSupplier: true},
		{Label: "bolaget/run-1/2025-01-15", SameSupplier: true, Others: []string{"bolaget"}},
		{},
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Label != w.Label || g.SameSupplier != w.SameSupplier || !slices.Equal(g.Others, w.Others) {
			t.Errorf("row %d: got %+v, want %+v", i, g, w)
		}
	}

	// A re-run of run-3 does not see itself; its commit is a no-op.
	again := wash(t, st, testKey, RunInfo{"acme", "run-3", "2025-03-01"}, []formats.Row{
		person("199901011234", "", ""),
	})
	if again[0].Label != "" {
		t.Errorf("re-run sees its own segment: %+v", again[0])
	}

	// Another key cannot compare: its segments are skipped, nothing is seen.
	other := IndexKey{ID: "k2", Secret: []byte("another secret of 16+ bytes")}
	ix, err := OpenIndex(context.Background(), st, other, RunInfo{"acme", "run-9", "2025-04-01"})
	if err != nil {
		t.Fatal(err)
	}
	if ix.SkippedSegments() != 3 || ix.Segments() != 0 {
		t.Errorf("other key: skipped %d loaded %d, want 3 and 0", ix.SkippedSegments(), ix.Segments())
	}

	// No cleartext identifiers in the store.
	files, _ := filepath.Glob(filepath.Join(dir, "contacts", "v1", "seg", "*.lwix"))
	if len(files) != 3 {
		t.Fatalf("segments %v, want 3", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, clear := range []string{"198001011238", "46702222222", "702222222", "a.b@example.se", "example"} {
			if bytes.Contains(b, []byte(clear)) {
				t.Errorf("%s holds cleartext %q", filepath.Base(f), clear)
			}
		}
	}
}

func TestIndexBadInput(t *testing.T) {
	st, err := infra.NewLocalStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for name, run := range map[string]RunInfo{
		"slash in run id": {"acme", "a/b", "2025-01-01"},
		"no date":         {"acme", "r1", ""},
		"dot run id":      {"acme", "..", "2025-01-01"},
		"empty supplier":  {"", "r1", "2025-01-01"},
	} {
		if _, err := OpenIndex(ctx, st, testKey, run); !errors.Is(err, ErrBadRunInfo) {
			t.Errorf("%s: %v, want ErrBadRunInfo", name, err)
		}
	}
	if _, err := OpenIndex(ctx, st, IndexKey{ID: "x", Secret: []byte("short")}, RunInfo{"a", "r", "2025-01-01"}); !errors.Is(err, ErrNoIndexKey) {
		t.Errorf("short key: %v, want ErrNoIndexKey", err)
	}
	if err := st.PutIfAbsent(ctx, IndexPrefix+"seg/broken.lwix", []byte("LWIX1\n{\"key_id\":\"k1\",\"count\":3}\n12345678")); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenIndex(ctx, st, testKey, RunInfo{"a", "r", "2025-01-01"}); !errors.Is(err, ErrBadSegment) {
		t.Errorf("truncated segment: %v, want ErrBadSegment", err)
	}
}

func TestIndexKeyFromEnv(t *testing.T) {
	t.Setenv("LISTWASH_INDEX_KEY", "short")
	if _, err := IndexKeyFromEnv(); !errors.Is(err, ErrNoIndexKey) {
		t.Errorf("short key: %v, want ErrNoIndexKey", err)
	}
	t.Setenv("LISTWASH_INDEX_KEY", "a secret of sixteen bytes or more")
	t.Setenv("LISTWASH_INDEX_KEY_ID", "")
	k, err := IndexKeyFromEnv()
	if err != nil || len(k.ID) != 12 || bytes.Contains([]byte(k.ID), []byte("secret")) {
		t.Errorf("derived id %q, %v", k.ID, err)
	}
	t.Setenv("LISTWASH_INDEX_KEY_ID", "2025-q1")
	if k, _ := IndexKeyFromEnv(); k.ID != "2025-q1" {
		t.Errorf("id %q, want 2025-q1", k.ID)
	}
}

// Concurrent runs each commit their own segment: none is lost or mixed,
// and a later run sees every one of them.
func TestIndexConcurrentCommits(t *testing.T) {
	st, err := infra.NewLocalStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const runs = 8
	errs := make(chan error, runs)
	for i := range runs {
		go func() {
			ctx := context.Background()
			ix, err := OpenIndex(ctx, st, testKey, RunInfo{"s" + string(rune('a'+i)), "run-" + string(rune('a'+i)), "2025-01-01"})
			if err != nil {
				errs <- err
				return
			}
			m := ix.Marker()
			row := person("", "+4670100000"+string(rune('0'+i)), "")
			m.Mark(&row)
			m.Done()
			errs <- ix.Commit(ctx)
		}()
	}
	for range runs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	got := wash(t, st, testKey, RunInfo{"later", "run-z", "2025-02-01"}, []formats.Row{
		person("", "+46701000003", ""), person("", "+46701000007", ""), person("", "+46709999999", ""),
	})
	for i, want := range []string{"sd/run-d/2025-01-01", "sh/run-h/2025-01-01", ""} {
		if got[i].Label != want {
			t.Errorf("row %d seen as %q, want %q", i, got[i].Label, want)
		}
	}
	ix, err := OpenIndex(context.Background(), st, testKey, RunInfo{"x", "run-x", "2025-03-01"})
	if err != nil {
		t.Fatal(err)
	}
	if ix.Segments() != runs+1 {
		t.Errorf("%d segments, want %d", ix.Segments(), runs+1)
	}
}

// A run marked by two processes (two chunks), each with its own Index,
// commits the union of their PendingKeys once with CommitKeys; a later
// run sees the rows of both halves.
func TestIndexCommitKeysOfSplitRun(t *testing.T) {
	ctx := context.Background()
	st, err := infra.NewLocalStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	run := RunInfo{"acme", "run-split", "2025-02-01"}
	halves := [][]formats.Row{
		{person("198001011238", "+46701111111", ""), person("", "+46702222222", "")},
		{person("", "+46703333333", "c.d@example.se"), person("", "+46702222222", "")},
	}
	var keys []uint64
	for _, rows := range halves {
		ix, err := OpenIndex(ctx, st, testKey, run)
		if err != nil {
			t.Fatal(err)
		}
		m := ix.Marker()
		for i := range rows {
			m.Mark(&rows[i])
		}
		m.Done()
		keys = append(keys, ix.PendingKeys()...)
	}
	if len(keys) != 6 {
		t.Fatalf("%d keys from both halves, want 6 (one repeated across them)", len(keys))
	}
	if err := CommitKeys(ctx, st, testKey, run, keys); err != nil {
		t.Fatal(err)
	}
	if err := CommitKeys(ctx, st, testKey, run, keys[:1]); err != nil {
		t.Fatalf("second commit of the run: %v, want a no-op", err)
	}
	if err := CommitKeys(ctx, st, testKey, RunInfo{"acme", "", "2025-02-01"}, keys); !errors.Is(err, ErrBadRunInfo) {
		t.Fatalf("commit without run id: %v", err)
	}
	got := wash(t, st, testKey, RunInfo{"bolaget", "run-later", "2025-03-01"}, []formats.Row{
		person("198001011238", "", ""), person("", "", "C.D@example.se"), person("", "+46709999999", ""),
	})
	for i, want := range []string{"acme/run-split/2025-02-01", "acme/run-split/2025-02-01", ""} {
		if got[i].Label != want {
			t.Errorf("row %d seen as %q, want %q", i, got[i].Label, want)
		}
	}
}
