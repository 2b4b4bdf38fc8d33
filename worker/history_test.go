package worker_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/listwash/listwash/worker"
)

func TestHistoryRatePercent(t *testing.T) {
	cases := []struct {
		name    string
		r       worker.Rate
		percent string
		json    string
	}{
		{"zero", worker.Rate{N: 0, Of: 5}, "0.0", "0"},
		{"all", worker.Rate{N: 5, Of: 5}, "100.0", "1"},
		{"exact tenth", worker.Rate{N: 1, Of: 8}, "12.5", "0.125"},
		{"half up, not to even", worker.Rate{N: 1, Of: 16}, "6.3", "0.0625"},
		{"half up at 0.05 percent", worker.Rate{N: 1, Of: 2000}, "0.1", "0.0005"},
		{"just below half", worker.Rate{N: 1, Of: 2001}, "0.0", "0.0004997501249375312"},
		{"thirds down", worker.Rate{N: 1, Of: 3}, "33.3", "0.3333333333333333"},
		{"thirds up", worker.Rate{N: 2, Of: 3}, "66.7", "0.6666666666666666"},
		{"large counts", worker.Rate{N: 123_456_789, Of: 1_000_000_000}, "12.3", "0.123456789"},
		{"no denominator", worker.Rate{N: 0, Of: 0}, "", "null"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.Percent(); got != tc.percent {
				t.Errorf("Percent() = %q, want %q", got, tc.percent)
			}
			b, err := json.Marshal(tc.r)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.json {
				t.Errorf("JSON %s, want %s", b, tc.json)
			}
		})
	}
}

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func delivery(supplier, run, started string, rows, rejected, callable int64, seen *worker.SeenBefore) worker.Delivery {
	return worker.Delivery{Supplier: supplier, RunID: run, Started: day(started), Seen: seen,
		Counts: worker.Counts{Rows: rows, RejectedRows: rejected, CallableRows: callable, Persons: rows}}
}

// Totals are the rates of the summed counts, weighted by rows: 10 of 100
// and 0 of 900 rejected is 1.0 %, not the 5.0 % average of the two rates.
func TestHistoryAggregateTotals(t *testing.T) {
	ds := []worker.Delivery{
		delivery("beta", "b1", "2026-10-01T08:00:00Z", 50, 1, 40, nil),
		delivery("alfa", "d3", "2026-11-01T08:00:00Z", 1000, 5, 500, &worker.SeenBefore{Persons: 200, SameSupplier: 20, OtherSupplier: 0}),
		delivery("alfa", "c1", "2026-10-01T08:00:00Z", 100, 10, 45, nil),
		delivery("alfa", "b2", "2026-11-01T08:00:00Z", 900, 0, 720, &worker.SeenBefore{Persons: 800, SameSupplier: 80, OtherSupplier: 8}),
	}
	orig := slices.Clone(ds)
	h := worker.Aggregate(ds, worker.HistoryFilter{})
	if !slices.EqualFunc(ds, orig, func(a, b worker.Delivery) bool { return a.RunID == b.RunID && a.Rates == b.Rates }) {
		t.Fatal("Aggregate modified its input")
	}
	if len(h.Suppliers) != 2 || h.Suppliers[0].Supplier != "alfa" || h.Suppliers[1].Supplier != "beta" {
		t.Fatalf("suppliers %+v, want alfa then beta", h.Suppliers)
	}
	alfa := h.Suppliers[0]
	var runs []string
	for _, d := range alfa.Deliveries {
		runs = append(runs, d.RunID)
	}
	if !slices.Equal(runs, []string{"c1", "b2", "d3"}) {
		t.Fatalf("order %v, want by started, then run id: c1 b2 d3", runs)
	}
	tot := alfa.Total
	if tot.Deliveries != 3 || tot.Counts.Rows != 2000 || tot.Counts.RejectedRows != 15 || tot.Counts.CallableRows != 1265 {
		t.Fatalf("total %+v", tot)
	}
	checks := []struct {
		name    string
		r       worker.Rate
		percent string
	}{
		{"delivery c1 rejected", alfa.Deliveries[0].Rates.Rejected, "10.0"},
		{"delivery b2 rejected", alfa.Deliveries[1].Rates.Rejected, "0.0"},
		{"total rejected, weighted", tot.Rates.Rejected, "0.8"},  // 15/2000 = 0.75 % (the average of rates would be 3.5)
		{"total callable, weighted", tot.Rates.Callable, "63.3"}, // 1265/2000 = 63.25 %, half up
		{"delivery c1 without dedup: seen blank", alfa.Deliveries[0].Rates.SeenSameSupplier, ""},
		{"delivery b2 seen same", alfa.Deliveries[1].Rates.SeenSameSupplier, "10.0"},
		{"total seen same over the runs with dedup", tot.Rates.SeenSameSupplier, "10.0"},  // 100/1000 persons
		{"total seen other over the runs with dedup", tot.Rates.SeenOtherSupplier, "0.8"}, // 8/1000
		{"beta without dedup: total seen blank", h.Suppliers[1].Total.Rates.SeenOtherSupplier, ""},
	}
	for _, c := range checks {
		if got := c.r.Percent(); got != c.percent {
			t.Errorf("%s: %q (%d/%d), want %q", c.name, got, c.r.N, c.r.Of, c.percent)
		}
	}
	if tot.Seen == nil || *tot.Seen != (worker.SeenBefore{Persons: 1000, SameSupplier: 100, OtherSupplier: 8}) {
		t.Errorf("total seen %+v", tot.Seen)
	}
	if h.Suppliers[1].Total.Seen != nil {
		t.Errorf("beta total seen %+v, want nil", h.Suppliers[1].Total.Seen)
	}
	if tot.Rates.Rejected.Fraction() != 0.0075 {
		t.Errorf("total rejected fraction %v", tot.Rates.Rejected.Fraction())
	}
}

func TestHistoryAggregateFilters(t *testing.T) {
	ds := []worker.Delivery{
		delivery("Alfa AB", "a1", "2026-10-31T23:59:59Z", 10, 0, 10, nil),
		delivery("Alfa AB", "a2", "2026-11-01T00:00:00Z", 10, 0, 10, nil),
		delivery("Alfa AB", "a3", "2026-11-15T12:00:00Z", 10, 0, 10, nil),
		delivery("Beta", "b1", "2026-11-30T23:59:59Z", 10, 0, 10, nil),
		delivery("Beta", "b2", "2026-12-01T00:00:00Z", 10, 0, 10, nil),
	}
	date := func(s string) time.Time { return day(s + "T00:00:00Z") }
	cases := []struct {
		name string
		f    worker.HistoryFilter
		want []string
	}{
		{"none", worker.HistoryFilter{}, []string{"a1", "a2", "a3", "b1", "b2"}},
		{"supplier, any case", worker.HistoryFilter{Supplier: "alfa ab"}, []string{"a1", "a2", "a3"}},
		{"supplier is exact, not a prefix", worker.HistoryFilter{Supplier: "Alfa"}, nil},
		{"since is inclusive from midnight", worker.HistoryFilter{Since: date("2026-11-01")}, []string{"a2", "a3", "b1", "b2"}},
		{"until includes the whole day", worker.HistoryFilter{Until: date("2026-11-30")}, []string{"a1", "a2", "a3", "b1"}},
		{"since and until the same day", worker.HistoryFilter{Since: date("2026-10-31"), Until: date("2026-10-31")}, []string{"a1"}},
		{"all three", worker.HistoryFilter{Supplier: "BETA", Since: date("2026-11-02"), Until: date("2026-11-30")}, []string{"b1"}},
		{"since in another zone compares the UTC date", worker.HistoryFilter{Since: date("2026-11-01").In(time.FixedZone("CET", 3600))}, []string{"a2", "a3", "b1", "b2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := worker.Aggregate(ds, tc.f)
			var got []string
			n := 0
			for _, s := range h.Suppliers {
				for _, d := range s.Deliveries {
					got = append(got, d.RunID)
				}
				n += s.Total.Deliveries
				if s.Total.Counts.Rows != int64(10*len(s.Deliveries)) {
					t.Errorf("%s: total rows %d over %d deliveries", s.Supplier, s.Total.Counts.Rows, len(s.Deliveries))
				}
			}
			if !slices.Equal(got, tc.want) || n != len(tc.want) {
				t.Fatalf("got %v (total deliveries %d), want %v", got, n, tc.want)
			}
		})
	}
}

// The same run found twice (two locations above it) counts once.
func TestHistoryAggregateRepeated(t *testing.T) {
	d := delivery("alfa", "a1", "2026-10-01T08:00:00Z", 100, 10, 45, nil)
	other := delivery("alfa", "a1", "2026-10-02T08:00:00Z", 100, 10, 45, nil) // same id, another run
	h := worker.Aggregate([]worker.Delivery{d, d, other}, worker.HistoryFilter{})
	if h.Repeated != 1 || len(h.Suppliers) != 1 || h.Suppliers[0].Total.Deliveries != 2 || h.Suppliers[0].Total.Counts.Rows != 200 {
		t.Fatalf("repeated %d, suppliers %+v", h.Repeated, h.Suppliers)
	}
}

// memStore is an in-memory HistoryStore.
type memStore map[string][]byte

func (m memStore) ListKeys(_ context.Context, prefix string) ([]string, error) {
	var keys []string
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys, nil
}

func (m memStore) Open(_ context.Context, key string) (io.ReadCloser, error) {
	b, ok := m[key]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: key, Err: fs.ErrNotExist}
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func outputFile(key string, data []byte) worker.OutputFile {
	sum := sha256.Sum256(data)
	return worker.OutputFile{Key: key, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
}

// putRun writes a committed run into m under dir: the scorecard at
// scKey (relative to dir) and a manifest listing it and a rows part.
func putRun(t *testing.T, m memStore, dir, scKey string, sc worker.Scorecard) []byte {
	t.Helper()
	scData := mustMarshal(t, sc)
	rows := []byte("PAR1...")
	rowsKey := strings.TrimSuffix(scKey, worker.ScorecardKey) + "rows/part-00000.parquet"
	man := worker.Manifest{RunID: sc.RunID, Supplier: sc.Supplier, Status: "committed", Counts: sc.Counts,
		Files: []worker.OutputFile{outputFile(rowsKey, rows), outputFile(scKey, scData)}}
	m[dir+rowsKey] = rows
	m[dir+scKey] = scData
	m[dir+worker.ManifestKey] = mustMarshal(t, man)
	return scData
}

func scorecard(supplier, run, started string, rows int64, dedup *worker.DedupStats) worker.Scorecard {
	return worker.Scorecard{Supplier: supplier, RunID: run, Started: day(started), Dedup: dedup,
		Input:  worker.InputInfo{Name: "inbox/" + supplier + "/" + run + ".csv"},
		Counts: worker.Counts{Rows: rows, RejectedRows: 1, Persons: rows - 1, CallableRows: rows / 2}}
}

func TestHistoryRead(t *testing.T) {
	m := memStore{}
	// The embedded layout: files at the run's root. Washed without a
	// contact index: its seen-before counts are no finding (Seen nil).
	putRun(t, m, "embedded/alfa/1/", worker.ScorecardKey, scorecard("alfa", "e1", "2026-11-02T09:00:00Z", 10, &worker.DedupStats{Persons: 9}))
	// The worker layout: the scorecard under attempts/<attempt>/, found
	// through the manifest; the losing attempt's scorecard is never read.
	putRun(t, m, "washed/beta/r1/", "attempts/2-ab/"+worker.ScorecardKey,
		scorecard("beta", "r1", "2026-11-01T09:00:00Z", 20, &worker.DedupStats{Persons: 19, SeenBeforeSameSupplier: 3, SeenBeforeOtherSupplier: 2, ContactIndex: true}))
	m["washed/beta/r1/attempts/1-cd/"+worker.ScorecardKey] = mustMarshal(t, scorecard("beta", "r1", "2026-11-01T09:00:00Z", 999, nil))
	// Runs that never committed (crashed, or still running): skipped, counted.
	m["washed/beta/r2/attempts/0-ef/rows/part-00000.parquet"] = []byte("PAR1")
	m["washed/beta/r2/plan.json"] = []byte("{}")
	m["embedded/alfa/crashed/"+worker.ScorecardKey] = []byte("{}")
	m["embedded/alfa/crashed/"+worker.RejectsKey] = []byte("")
	// Not runs at all.
	m["inbox/alfa/list.csv"] = []byte("x")
	m["registers/nix/nix.csv"] = []byte("x")
	// Committed runs that cannot be read: error lines, the rest still read.
	putRun(t, m, "embedded/alfa/missing/", worker.ScorecardKey, scorecard("alfa", "m1", "2026-11-03T09:00:00Z", 10, nil))
	delete(m, "embedded/alfa/missing/"+worker.ScorecardKey)
	putRun(t, m, "embedded/alfa/changed/", worker.ScorecardKey, scorecard("alfa", "c1", "2026-11-03T09:00:00Z", 10, nil))
	m["embedded/alfa/changed/"+worker.ScorecardKey] = mustMarshal(t, scorecard("alfa", "c1", "2026-11-03T09:00:00Z", 11, nil))
	m["embedded/alfa/garbage/"+worker.ManifestKey] = []byte("{not json")
	m["embedded/alfa/noscore/"+worker.ManifestKey] = mustMarshal(t, worker.Manifest{RunID: "n1", Status: "committed"})

	scan, err := worker.ReadHistory(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if scan.Uncommitted != 2 {
		t.Errorf("uncommitted %d, want 2 (washed/beta/r2, embedded/alfa/crashed)", scan.Uncommitted)
	}
	if len(scan.Deliveries) != 2 {
		t.Fatalf("deliveries %+v, want 2", scan.Deliveries)
	}
	a, b := scan.Deliveries[0], scan.Deliveries[1]
	if a.Supplier != "alfa" || a.RunID != "e1" || a.Counts.Rows != 10 || a.Seen != nil ||
		a.Manifest != "embedded/alfa/1/_manifest.json" || a.Input != "inbox/alfa/e1.csv" || !a.Started.Equal(day("2026-11-02T09:00:00Z")) {
		t.Errorf("embedded run read as %+v", a)
	}
	if b.Supplier != "beta" || b.Counts.Rows != 20 || b.Seen == nil || *b.Seen != (worker.SeenBefore{Persons: 19, SameSupplier: 3, OtherSupplier: 2}) {
		t.Errorf("worker-layout run read as %+v (seen %+v): want the committed attempt's scorecard", b, b.Seen)
	}
	wantErrs := []struct {
		key string
		is  error
	}{
		{"embedded/alfa/changed/scorecard.json", worker.ErrScorecardChanged},
		{"embedded/alfa/garbage/_manifest.json", nil},
		{"embedded/alfa/missing/scorecard.json", fs.ErrNotExist},
		{"embedded/alfa/noscore/_manifest.json", worker.ErrNoScorecard},
	}
	if len(scan.Errors) != len(wantErrs) {
		t.Fatalf("errors %v, want %d", scan.Errors, len(wantErrs))
	}
	for i, w := range wantErrs {
		e := scan.Errors[i]
		if e.Key != w.key || (w.is != nil && !errors.Is(e, w.is)) || !strings.HasPrefix(e.Error(), w.key+": ") {
			t.Errorf("error %d: %q (key %s), want key %s matching %v", i, e.Error(), e.Key, w.key, w.is)
		}
	}
}

// A store rooted at one run's folder is that run.
func TestHistoryReadOneRun(t *testing.T) {
	m := memStore{}
	putRun(t, m, "", "attempts/0-aa/"+worker.ScorecardKey, scorecard("gamma", "g1", "2026-11-02T09:00:00Z", 7, nil))
	scan, err := worker.ReadHistory(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if len(scan.Deliveries) != 1 || scan.Deliveries[0].RunID != "g1" || scan.Deliveries[0].Manifest != worker.ManifestKey ||
		scan.Uncommitted != 0 || len(scan.Errors) != 0 {
		t.Fatalf("scan %+v", scan)
	}
}
