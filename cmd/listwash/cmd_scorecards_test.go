package main

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/worker"
)

// scRun is one run the scorecards test washed, with its real scorecard.
type scRun struct {
	dir string // folder under the root, slash-separated
	sc  worker.Scorecard
}

// scWashRuns washes real deliveries of three suppliers into folders under
// one root: alfa twice the same list (seen before, same supplier), beta a
// list of its own and then alfa's (seen before, another supplier), all
// through one contact index; delta in the worker layout (manifest at the
// root, files under attempts/) without an index; epsilon an older
// scorecard without dedup statistics, in the worker layout too. Beside them: a wash
// that failed (nothing committed) and a crashed run (files, no manifest).
func scWashRuns(t *testing.T) (root string, runs map[string][]scRun) {
	t.Helper()
	dir := t.TempDir()
	root = filepath.Join(dir, "root")
	for _, g := range []struct {
		name, rows, seed string
	}{{"g1", "300", "1"}, {"g2", "200", "2"}} {
		if code, _, stderr := runCLI(t, "gen", "--out", filepath.Join(dir, g.name), "--rows", g.rows, "--seed", g.seed, "--asof", "2026-11-01"); code != 0 {
			t.Fatalf("gen %s: %s", g.name, stderr)
		}
	}
	t.Setenv("LISTWASH_INDEX_KEY", "scorecards-test-index-key")
	t.Setenv("LISTWASH_INDEX_KEY_ID", "")
	runs = map[string][]scRun{}
	for _, w := range []struct{ supplier, runID, gen, out string }{
		{"alfa", "20261101T090000Z-aaaa0001", "g1", "alfa/1"},
		{"beta", "20261101T090000Z-bbbb0001", "g2", "beta/1"},
		{"alfa", "20261101T090000Z-aaaa0002", "g1", "alfa/2"},
		{"beta", "20261101T090000Z-bbbb0002", "g1", "beta/2"},
	} {
		g := filepath.Join(dir, w.gen)
		code, stdout, stderr := runCLI(t, "wash", "--in", filepath.Join(g, "delivery.csv"), "--registers", filepath.Join(g, "registers"),
			"--out", filepath.Join(root, w.out), "--supplier", w.supplier, "--run-id", w.runID, "--asof", "2026-11-01",
			"--index", filepath.Join(dir, "index"), "--json", "--workers", "1")
		if code != 0 {
			t.Fatalf("wash %s: exit %d: %s", w.out, code, stderr)
		}
		var sc worker.Scorecard
		if err := json.Unmarshal([]byte(stdout), &sc); err != nil {
			t.Fatal(err)
		}
		runs[w.supplier] = append(runs[w.supplier], scRun{w.out, sc})
	}

	// delta: the worker layout, washed by the worker package with an attempt.
	in, _ := infra.NewLocalReader(filepath.Join(dir, "g2"))
	out, err := infra.NewLocalStore(filepath.Join(root, "washed", "delta", "rdelta0000000000000001"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := worker.Wash(context.Background(), worker.WashConfig{
		Env: worker.Env{RunID: "rdelta0000000000000001", Supplier: "delta", AsOf: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
			DefaultCountry: "SE", SourceFile: "delivery.csv"},
		In: in, InKey: "delivery.csv", Out: out, Attempt: "1-ab12", Workers: 1,
		Open: func(r io.Reader, name string) (formats.Reader, error) {
			return formats.Open(r, formats.Options{Name: name})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "washed", "delta", "rdelta0000000000000001", worker.ScorecardKey)); err == nil {
		t.Fatal("worker layout: scorecard at the run's root, want it under attempts/")
	}
	if d := res.Scorecard.Dedup; d == nil || d.ContactIndex {
		t.Fatalf("delta, washed without an index: dedup %+v, want contact_index false", d)
	}
	runs["delta"] = []scRun{{"washed/delta/rdelta0000000000000001", res.Scorecard}}

	// epsilon: a scorecard without dedup statistics (as written before
	// deduplication existed), committed by hand in the worker layout.
	eps := res.Scorecard
	eps.Supplier, eps.RunID, eps.Dedup = "epsilon", "reps00000000000000000001", nil
	eps.Started = eps.Started.Add(-time.Hour)
	epsData, err := json.MarshalIndent(eps, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(epsData)
	man, err := json.Marshal(worker.Manifest{RunID: eps.RunID, Supplier: eps.Supplier, Status: "committed", Counts: eps.Counts,
		Files: []worker.OutputFile{{Key: "attempts/0-zz/" + worker.ScorecardKey, Size: int64(len(epsData)), SHA256: hex.EncodeToString(sum[:])}}})
	if err != nil {
		t.Fatal(err)
	}
	epsDir := filepath.Join(root, "washed", "epsilon", eps.RunID)
	if err := os.MkdirAll(filepath.Join(epsDir, "attempts", "0-zz"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(epsDir, "attempts", "0-zz"), worker.ScorecardKey, epsData)
	writeFile(t, epsDir, worker.ManifestKey, man)
	runs["epsilon"] = []scRun{{"washed/epsilon/" + eps.RunID, eps}}

	// gamma: a wash that failed commits nothing.
	bad := writeFile(t, dir, "bad.csv", []byte(header))
	if code, _, _ := runCLI(t, "wash", "--in", bad, "--out", filepath.Join(root, "gamma", "1"), "--supplier", "gamma", "--quiet"); code != 1 {
		t.Fatalf("the header-only wash exited %d, want 1", code)
	}
	// A run that crashed before its commit: every file but the manifest.
	if err := os.CopyFS(filepath.Join(root, "alfa", "crashed"), os.DirFS(filepath.Join(root, "alfa", "1"))); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(root, "alfa", "crashed", worker.ManifestKey)); err != nil {
		t.Fatal(err)
	}
	return root, runs
}

// scPct is a share in percent with one decimal, half up: the table's and
// CSV's format, computed here independently of worker.Rate.
func scPct(n, of int64) string {
	if of == 0 {
		return ""
	}
	return strconv.FormatFloat(math.Floor(float64(n)*1000/float64(of)+0.5)/10, 'f', 1, 64)
}

// scExpect returns the table's rate cells for counts c (and dedup
// statistics d, nil for none) in column order.
func scExpect(c worker.Counts, d *worker.DedupStats) []string {
	var same, other, persons int64
	if d != nil {
		same, other, persons = d.SeenBeforeSameSupplier, d.SeenBeforeOtherSupplier, d.Persons
	}
	return []string{
		scPct(c.RejectedRows, c.Rows), scPct(c.InvalidPhoneRows, c.Rows), scPct(c.NoValidPhoneRows, c.Rows),
		scPct(c.InvalidPostalRows, c.Rows), scPct(c.InvalidPNRRows, c.Rows), scPct(c.DuplicateRows, c.Rows),
		scPct(c.NIXListedRows, c.Rows), scPct(c.NIXBlockedRows, c.Rows), scPct(c.DeceasedRows, c.Rows),
		scPct(same, persons), scPct(other, persons), scPct(c.CallableRows, c.Rows),
	}
}

// indexed returns d if its run used the contact index, else nil: the
// seen-before columns are blank for runs that looked nothing up.
func indexed(d *worker.DedupStats) *worker.DedupStats {
	if d == nil || !d.ContactIndex {
		return nil
	}
	return d
}

// scTotal sums runs' counts and the dedup statistics of runs with a
// contact index (nil if none has).
func scTotal(runs []scRun) (worker.Counts, *worker.DedupStats) {
	var c worker.Counts
	var d *worker.DedupStats
	for _, r := range runs {
		c.Add(&r.sc.Counts)
		if s := indexed(r.sc.Dedup); s != nil {
			if d == nil {
				d = &worker.DedupStats{}
			}
			d.Persons += s.Persons
			d.SeenBeforeSameSupplier += s.SeenBeforeSameSupplier
			d.SeenBeforeOtherSupplier += s.SeenBeforeOtherSupplier
		}
	}
	return c, d
}

// scParseTable splits the table's lines (after the legend and the header)
// into cells, by the header's column positions: text columns start where
// their heading starts, number columns end where theirs ends.
func scParseTable(t *testing.T, out string) [][]string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "rates in % of rows") {
		t.Fatalf("table without legend and header:\n%s", out)
	}
	titles := []string{"supplier", "date", "run", "input", "rows"}
	for _, c := range scorecardColumns {
		titles = append(titles, c.title)
	}
	head := lines[1]
	var start, end []int
	off := 0
	for _, ti := range titles {
		i := strings.Index(head[off:], ti)
		if i < 0 {
			t.Fatalf("header %q lacks %q", head, ti)
		}
		start, end = append(start, off+i), append(end, off+i+len(ti))
		off += i + len(ti)
	}
	var rows [][]string
	for _, l := range lines[2:] {
		r := []rune(l)
		cut := func(a, b int) string { return strings.TrimSpace(string(r[a:min(b, len(r))])) }
		cells := []string{cut(start[0], start[1]), cut(start[1], start[2]), cut(start[2], start[3])}
		f := strings.Fields(cut(start[3], end[4])) // input (blank on TOTAL lines) and rows
		if len(f) == 1 {
			f = []string{"", f[0]}
		}
		cells = append(cells, f...)
		for i := 5; i < len(titles); i++ {
			cells = append(cells, cut(end[i-1], end[i]))
		}
		rows = append(rows, cells)
	}
	return rows
}

func TestScorecardsEndToEnd(t *testing.T) {
	root, runs := scWashRuns(t)
	today := runs["alfa"][0].sc.Started.UTC().Format(time.DateOnly)

	// The index did its work: alfa's second delivery was all seen before
	// at alfa, beta's second (alfa's list) all at another supplier.
	if d := runs["alfa"][1].sc.Dedup; d == nil || !d.ContactIndex || d.Persons == 0 || d.SeenBeforeSameSupplier != d.Persons || d.SeenBeforeOtherSupplier != 0 {
		t.Fatalf("alfa's second delivery dedup %+v: want every person seen before at alfa", d)
	}
	if d := runs["beta"][1].sc.Dedup; d == nil || d.SeenBeforeOtherSupplier != d.Persons || d.SeenBeforeSameSupplier != 0 {
		t.Fatalf("beta's second delivery dedup %+v: want every person seen before at another supplier", d)
	}

	t.Run("table", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, "scorecards", root)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stderr, "skipped 1 run folder(s) without _manifest.json") {
			t.Errorf("stderr %q: want the crashed run counted as skipped", stderr)
		}
		var want [][]string
		for _, sup := range []string{"alfa", "beta", "delta", "epsilon"} {
			for _, r := range runs[sup] {
				id := r.sc.RunID
				want = append(want, append([]string{sup, today, "…" + id[len(id)-8:], "delivery.csv", strconv.FormatInt(r.sc.Counts.Rows, 10)},
					scExpect(r.sc.Counts, indexed(r.sc.Dedup))...))
			}
			c, d := scTotal(runs[sup])
			n := strconv.Itoa(len(runs[sup])) + " deliveries"
			if len(runs[sup]) == 1 {
				n = "1 delivery"
			}
			want = append(want, append([]string{sup, "TOTAL", n, "", strconv.FormatInt(c.Rows, 10)}, scExpect(c, d)...))
		}
		got := scParseTable(t, stdout)
		if len(got) != len(want) {
			t.Fatalf("%d lines, want %d:\n%s", len(got), len(want), stdout)
		}
		for i := range want {
			if !slices.Equal(got[i], want[i]) {
				t.Errorf("line %d:\n got %q\nwant %q\ntable:\n%s", i+1, got[i], want[i], stdout)
			}
		}
	})

	t.Run("json", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, "scorecards", "--json", root)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		type rates map[string]*float64
		type delivery struct {
			RunID      string             `json:"run_id"`
			Input      string             `json:"input"`
			Started    time.Time          `json:"started"`
			Manifest   string             `json:"manifest"`
			Counts     worker.Counts      `json:"counts"`
			SeenBefore *worker.SeenBefore `json:"seen_before"`
			Rates      rates              `json:"rates"`
		}
		var got []struct {
			Supplier   string     `json:"supplier"`
			Deliveries []delivery `json:"deliveries"`
			Total      struct {
				Deliveries int                `json:"deliveries"`
				Counts     worker.Counts      `json:"counts"`
				SeenBefore *worker.SeenBefore `json:"seen_before"`
				Rates      rates              `json:"rates"`
			} `json:"total"`
		}
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("%v:\n%s", err, stdout)
		}
		if len(got) != 4 || got[0].Supplier != "alfa" || got[1].Supplier != "beta" || got[2].Supplier != "delta" || got[3].Supplier != "epsilon" {
			t.Fatalf("suppliers: %s", stdout)
		}
		// rate name in the history -> the scorecard's rates key
		fromScorecard := map[string]string{"rejected": "rejected_rows", "invalid_phone": "invalid_phone_rows",
			"no_valid_phone": "no_valid_phone_rows", "invalid_postal": "invalid_postal_rows", "invalid_pnr": "invalid_pnr_rows",
			"duplicates": "duplicate_rows", "nix_listed": "nix_listed_rows", "nix_blocked": "nix_blocked_rows",
			"deceased": "deceased_rows", "callable": "callable_rows"}
		for _, s := range got {
			want := runs[s.Supplier]
			if len(s.Deliveries) != len(want) {
				t.Fatalf("%s: %d deliveries, want %d", s.Supplier, len(s.Deliveries), len(want))
			}
			for i, d := range s.Deliveries {
				sc := want[i].sc
				if d.RunID != sc.RunID || d.Input != sc.Input.Name || !d.Started.Equal(sc.Started) || d.Counts != sc.Counts ||
					d.Manifest != root+"/"+want[i].dir+"/"+worker.ManifestKey {
					t.Errorf("%s delivery %d: %+v, want the scorecard of %s", s.Supplier, i, d, want[i].dir)
				}
				if len(d.Rates) != len(fromScorecard)+2 {
					t.Errorf("%s delivery %d: rates %v", s.Supplier, i, d.Rates)
				}
				for name, key := range fromScorecard {
					if v := d.Rates[name]; v == nil || *v != sc.Rates[key] {
						t.Errorf("%s delivery %d: rate %s = %v, scorecard's %s = %v", s.Supplier, i, name, v, key, sc.Rates[key])
					}
				}
				same, other := d.Rates["seen_before_same_supplier"], d.Rates["seen_before_other_supplier"]
				if indexed(sc.Dedup) == nil {
					if same != nil || other != nil || d.SeenBefore != nil {
						t.Errorf("%s delivery %d without dedup statistics: seen %v %v %+v, want null", s.Supplier, i, same, other, d.SeenBefore)
					}
				} else if same == nil || other == nil ||
					*same != float64(sc.Dedup.SeenBeforeSameSupplier)/float64(sc.Dedup.Persons) ||
					*other != float64(sc.Dedup.SeenBeforeOtherSupplier)/float64(sc.Dedup.Persons) {
					t.Errorf("%s delivery %d: seen %v %v, dedup %+v", s.Supplier, i, same, other, sc.Dedup)
				}
			}
			c, dd := scTotal(want)
			if s.Total.Deliveries != len(want) || s.Total.Counts != c {
				t.Errorf("%s total: %d deliveries, counts %+v; want %d and %+v", s.Supplier, s.Total.Deliveries, s.Total.Counts, len(want), c)
			}
			if v := s.Total.Rates["callable"]; v == nil || *v != float64(c.CallableRows)/float64(c.Rows) {
				t.Errorf("%s total callable rate %v, want %d/%d", s.Supplier, v, c.CallableRows, c.Rows)
			}
			if (dd == nil) != (s.Total.SeenBefore == nil) || dd != nil && (s.Total.SeenBefore.Persons != dd.Persons ||
				s.Total.SeenBefore.SameSupplier != dd.SeenBeforeSameSupplier || s.Total.SeenBefore.OtherSupplier != dd.SeenBeforeOtherSupplier) {
				t.Errorf("%s total seen before %+v, want the sums of %+v", s.Supplier, s.Total.SeenBefore, dd)
			}
		}
	})

	t.Run("csv", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, "scorecards", "--csv", root)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int{}
		for i, h := range recs[0] {
			col[h] = i
		}
		wantHead := []string{"supplier", "run_id", "input", "started", "deliveries", "rows", "persons", "rejected_rows"}
		if !slices.Equal(recs[0][:len(wantHead)], wantHead) || len(col) != len(recs[0]) {
			t.Fatalf("header %v", recs[0])
		}
		check := func(rec []string, c worker.Counts, d *worker.DedupStats, what string) {
			var counts map[string]int64
			b, _ := json.Marshal(c)
			json.Unmarshal(b, &counts)
			if d != nil {
				counts["seen_before_same_supplier"], counts["seen_before_other_supplier"], counts["dedup_persons"] =
					d.SeenBeforeSameSupplier, d.SeenBeforeOtherSupplier, d.Persons
			}
			for name, i := range col {
				if strings.HasSuffix(name, "_pct") || name == "supplier" || name == "run_id" || name == "input" || name == "started" || name == "deliveries" {
					continue
				}
				want := ""
				if v, ok := counts[name]; ok {
					want = strconv.FormatInt(v, 10)
				}
				if rec[i] != want {
					t.Errorf("%s: %s = %q, want %q", what, name, rec[i], want)
				}
			}
			pcts := scExpect(c, d)
			for i, name := range []string{"rejected", "invalid_phone", "no_valid_phone", "invalid_postal", "invalid_pnr", "duplicates",
				"nix_listed", "nix_blocked", "deceased", "seen_before_same_supplier", "seen_before_other_supplier", "callable"} {
				if got := rec[col[name+"_pct"]]; got != pcts[i] {
					t.Errorf("%s: %s_pct = %q, want %q", what, name, got, pcts[i])
				}
			}
		}
		i := 1
		for _, sup := range []string{"alfa", "beta", "delta", "epsilon"} {
			for _, r := range runs[sup] {
				rec := recs[i]
				i++
				if rec[0] != sup || rec[1] != r.sc.RunID || rec[2] != "delivery.csv" || rec[3] != r.sc.Started.UTC().Format(time.RFC3339) || rec[4] != "1" {
					t.Errorf("row %d: %v, want %s %s", i, rec[:5], sup, r.sc.RunID)
				}
				check(rec, r.sc.Counts, indexed(r.sc.Dedup), r.sc.RunID)
			}
			rec := recs[i]
			i++
			if rec[0] != sup || rec[1] != "TOTAL" || rec[2] != "" || rec[3] != "" || rec[4] != strconv.Itoa(len(runs[sup])) {
				t.Errorf("row %d: %v, want the TOTAL of %s", i, rec[:5], sup)
			}
			c, d := scTotal(runs[sup])
			check(rec, c, d, sup+" TOTAL")
		}
		if i != len(recs) {
			t.Errorf("%d rows, want %d", len(recs), i)
		}
	})

	t.Run("filters and locations", func(t *testing.T) {
		cases := []struct {
			name       string
			args       []string
			wantCode   int
			want       map[string]int // supplier -> deliveries in the JSON
			wantStderr string
		}{
			{"supplier, flags after the location", []string{root, "--supplier", "BETA", "--json"}, 0, map[string]int{"beta": 2}, ""},
			{"since today", []string{"--json", "--since", today, root}, 0, map[string]int{"alfa": 2, "beta": 2, "delta": 1, "epsilon": 1}, ""},
			{"until long ago", []string{"--json", "--until", "2000-01-01", root}, 0, map[string]int{}, ""},
			{"one run's folder", []string{"--json", filepath.Join(root, "washed", "delta", "rdelta0000000000000001")}, 0, map[string]int{"delta": 1}, ""},
			{"overlapping locations count a run once", []string{"--json", root, filepath.Join(root, "alfa", "1") + "/"}, 0,
				map[string]int{"alfa": 2, "beta": 2, "delta": 1, "epsilon": 1}, "1 run(s) found under more than one location"},
			{"missing location", []string{"--json", filepath.Join(root, "nosuch"), filepath.Join(root, "beta")}, 1,
				map[string]int{"beta": 2}, "nosuch"},
			{"no location", []string{"--json"}, 2, nil, "give at least one LOCATION"},
			{"bad date", []string{"--since", "2026-13-01", root}, 2, nil, "want YYYY-MM-DD"},
			{"until before since", []string{"--since", "2026-11-02", "--until", "2026-11-01", root}, 2, nil, "--until is before --since"},
			{"json and csv", []string{"--json", "--csv", root}, 2, nil, "exclude each other"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				code, stdout, stderr := runCLI(t, append([]string{"scorecards"}, tc.args...)...)
				if code != tc.wantCode || !strings.Contains(stderr, tc.wantStderr) {
					t.Fatalf("exit %d (want %d), stderr %q (want %q)", code, tc.wantCode, stderr, tc.wantStderr)
				}
				if tc.want == nil {
					return
				}
				var got []struct {
					Supplier   string            `json:"supplier"`
					Deliveries []json.RawMessage `json:"deliveries"`
				}
				if err := json.Unmarshal([]byte(stdout), &got); err != nil {
					t.Fatalf("%v: %s", err, stdout)
				}
				n := map[string]int{}
				for _, s := range got {
					n[s.Supplier] = len(s.Deliveries)
				}
				if len(n) != len(tc.want) {
					t.Fatalf("suppliers %v, want %v", n, tc.want)
				}
				for s, k := range tc.want {
					if n[s] != k {
						t.Fatalf("suppliers %v, want %v", n, tc.want)
					}
				}
			})
		}
		if code, stdout, _ := runCLI(t, "scorecards", "--until", "2000-01-01", root); code != 0 || stdout != "no deliveries found\n" {
			t.Errorf("empty table: exit %d %q", code, stdout)
		}
		if code, _, stderr := runCLI(t, "scorecards", "--help"); code != 0 || !strings.Contains(stderr, "LOCATION...") {
			t.Errorf("--help: exit %d %q", code, stderr)
		}
	})

	// A committed run whose scorecard is gone is an error line naming the
	// key; the other runs still print and the exit code is 1.
	t.Run("unreadable scorecard", func(t *testing.T) {
		broken := filepath.Join(t.TempDir(), "broken")
		for _, d := range []string{"alfa/1", "beta/1"} {
			if err := os.CopyFS(filepath.Join(broken, d), os.DirFS(filepath.Join(root, d))); err != nil {
				t.Fatal(err)
			}
		}
		os.Remove(filepath.Join(broken, "alfa", "1", worker.ScorecardKey))
		code, stdout, stderr := runCLI(t, "scorecards", broken)
		if code != 1 {
			t.Fatalf("exit %d, want 1: %s", code, stderr)
		}
		if !strings.Contains(stderr, broken+"/alfa/1/"+worker.ScorecardKey+": missing") || strings.Contains(stderr, "panic") {
			t.Errorf("stderr %q: want an error line naming alfa's scorecard", stderr)
		}
		rows := scParseTable(t, stdout)
		if len(rows) != 2 || rows[0][0] != "beta" || rows[1][1] != "TOTAL" || rows[1][4] != strconv.FormatInt(runs["beta"][0].sc.Counts.Rows, 10) {
			t.Errorf("table %q: want beta's delivery and total", rows)
		}
	})
}

// TestScorecardsFromS3 reads the same runs from a bucket (versitygw)
// through s3:// locations: the whole tree, and one supplier's folder of the
// runtime's washed/<supplier>/<run_id>/ layout.
func TestScorecardsFromS3(t *testing.T) {
	root, _ := scWashRuns(t)
	env, bucket := s3CLI(t)
	ctx := context.Background()
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		w, err := bucket.Create(ctx, "history/"+filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		w.Write(data)
		return w.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	_, local, _ := runCLI(t, "scorecards", "--csv", root)
	code, remote, stderr := runCLI(t, "scorecards", "--csv", "s3://"+env.Bucket+"/history")
	if code != 0 || !strings.Contains(stderr, "skipped 1 run folder(s)") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if remote != local || strings.Count(remote, "\n") != 11 {
		t.Fatalf("from S3:\n%s\nfrom the folder:\n%s", remote, local)
	}
	code, out, stderr := runCLI(t, "scorecards", "--json", "--supplier", "delta", "s3://"+env.Bucket+"/history/washed/delta")
	if code != 0 || !strings.Contains(out, `"manifest": "s3://`+env.Bucket+`/history/washed/delta/rdelta0000000000000001/_manifest.json"`) {
		t.Fatalf("exit %d %s: %s", code, stderr, out)
	}
}
