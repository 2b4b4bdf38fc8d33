package dedup

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/listwash/listwash/formats"
)

// spillRows generates persons' rows plus a switchboard block (oversized)
// and some rejected rows; unordered shuffles the order of observation
// (lines stay unique).
func spillRows(persons int, unordered bool) []formats.Row {
	g := newGenerator(uint64(persons) + 7)
	g.generate(persons)
	rows := g.rows
	for i := range min(persons/4, 200) {
		r := anna(0)
		noIDs(&r)
		r.FirstName = "P" + strconv.Itoa(i%37)
		r.LastName = "Q" + strconv.Itoa(i%11)
		r.PhoneE164 = "+4681000000"
		rows = append(rows, r)
	}
	for i := range rows {
		rows[i].SourceLine = int64(i + 2)
		rows[i].Rejected = i%97 == 5
	}
	if unordered {
		rnd := rand.New(rand.NewPCG(1, 2))
		rnd.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	}
	return rows
}

func plan(t *testing.T, cfg Config, rows []formats.Row) *Deduper {
	t.Helper()
	d := New(cfg)
	for i := range rows {
		if err := d.Observe(&rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Plan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSpillMatchesMemory(t *testing.T) {
	tests := []struct {
		name      string
		persons   int
		spillRows int
		pairs     int // PairsPerPass
		unordered bool
	}{
		{"tiny, spill from the first row", 3, 1, 0, false},
		{"small, spill at 7 rows", 40, 7, 0, false},
		{"1000 persons, one partition", 1000, 100, 0, false},
		{"1000 persons, many partitions", 1000, 100, 300, false},
		{"5000 persons, unordered, many partitions", 5000, 1000, 2000, true},
		{"20000 persons, spill at 1, partitions", 20000, 1, 10000, false},
		{"20000 persons, unordered", 20000, 5000, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows := spillRows(tc.persons, tc.unordered)
			dir := t.TempDir()
			mem := plan(t, Config{SpillRows: -1, PairsPerPass: tc.pairs}, rows)
			sp := New(Config{SpillRows: tc.spillRows, SpillDir: dir, PairsPerPass: tc.pairs})
			for i := range rows {
				if err := sp.Observe(&rows[i]); err != nil {
					t.Fatal(err)
				}
			}
			if sp.sp == nil {
				t.Fatalf("no spill after %d rows with SpillRows %d", len(rows), tc.spillRows)
			}
			if err := sp.Plan(context.Background()); err != nil {
				t.Fatal(err)
			}
			if ms, ss := mem.Stats(), sp.Stats(); ms != ss {
				t.Errorf("stats differ:\nmemory %+v\nspill  %+v", ms, ss)
			}
			if !sp.Spilled() || mem.Spilled() {
				t.Errorf("Spilled(): spill mode %v, memory %v", sp.Spilled(), mem.Spilled())
			}
			if mem.Stats().NearDuplicateRows == 0 || mem.Stats().ExactDuplicateRows == 0 && tc.persons > 100 {
				t.Errorf("weak test data: %+v", mem.Stats())
			}
			diff := 0
			for _, r := range rows {
				if r.Rejected {
					continue
				}
				a, okA := mem.Lookup(r.SourceLine)
				b, okB := sp.Lookup(r.SourceLine)
				if a != b || okA != okB || !okA {
					if diff++; diff <= 5 {
						t.Errorf("line %d: memory %+v %v, spill %+v %v", r.SourceLine, a, okA, b, okB)
					}
				}
			}
			if diff > 0 {
				t.Errorf("%d rows differ", diff)
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("spill files left after Plan: %d entries", len(left))
			}
		})
	}
}

// TestPlanWorkersMatch plans the same rows with one comparing goroutine
// and with several, in memory and in spill mode: every row's result and
// the stats (comparisons included) must be the same.
func TestPlanWorkersMatch(t *testing.T) {
	tests := []struct {
		name      string
		persons   int
		spillRows int // 0: memory
		pairs     int // PairsPerPass
		unordered bool
	}{
		{"memory, one partition", 20000, 0, 0, false},
		{"memory, many partitions, unordered", 20000, 0, 5000, true},
		{"spill, one partition", 20000, 1000, 0, false},
		{"spill, many partitions and jobs", 20000, 1, 3000, false},
		{"spill, unordered, small jobs", 5000, 100, 400, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows := spillRows(tc.persons, tc.unordered)
			cfg := Config{SpillRows: -1, PairsPerPass: tc.pairs, PlanWorkers: 1}
			if tc.spillRows > 0 {
				cfg.SpillRows, cfg.SpillDir = tc.spillRows, t.TempDir()
			}
			one := plan(t, cfg, rows)
			s1 := one.Stats()
			if s1.NearDuplicateRows == 0 || s1.OversizedBlocks == 0 || s1.Households == 0 {
				t.Fatalf("weak test data: %+v", s1)
			}
			for _, workers := range []int{2, 3, 8} {
				cfg.PlanWorkers = workers
				many := plan(t, cfg, rows)
				if sn := many.Stats(); sn != s1 {
					t.Errorf("%d workers: stats differ:\n1 worker %+v\n%d       %+v", workers, s1, workers, sn)
				}
				diff := 0
				for _, r := range rows {
					if r.Rejected {
						continue
					}
					a, okA := one.Lookup(r.SourceLine)
					b, okB := many.Lookup(r.SourceLine)
					if a != b || okA != okB || !okA {
						if diff++; diff <= 5 {
							t.Errorf("%d workers, line %d: 1 worker %+v %v, %d workers %+v %v", workers, r.SourceLine, a, okA, workers, b, okB)
						}
					}
				}
				if diff > 0 {
					t.Errorf("%d workers: %d rows differ", workers, diff)
				}
			}
		})
	}
}

func TestSpillDefaultsKeepMemoryMode(t *testing.T) {
	rows := spillRows(100, false)
	d := plan(t, Config{}, rows)
	if d.sp != nil || d.cfg.SpillRows != DefaultSpillRows {
		t.Errorf("small delivery spilled (SpillRows %d)", d.cfg.SpillRows)
	}
}

func TestSpillErrors(t *testing.T) {
	t.Run("missing spill dir", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "missing")
		d := New(Config{SpillRows: 1, SpillDir: dir})
		rows := spillRows(3, false)
		var err error
		for i := range rows {
			if err = d.Observe(&rows[i]); err != nil {
				break
			}
		}
		if !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("Observe error %v, want not-exist", err)
		}
		for _, r := range rows {
			if r.FirstName != "" && containsString(err.Error(), r.FirstName) {
				t.Errorf("error %q holds a name", err)
			}
		}
	})
	t.Run("spill files removed by Close", func(t *testing.T) {
		dir := t.TempDir()
		d := New(Config{SpillRows: 1, SpillDir: dir})
		rows := spillRows(3, false)
		for i := range rows {
			if err := d.Observe(&rows[i]); err != nil {
				t.Fatal(err)
			}
		}
		if left, _ := os.ReadDir(dir); len(left) != 1 {
			t.Fatalf("%d entries in the spill dir while observing, want 1", len(left))
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("%d entries left after Close", len(left))
		}
	})
	t.Run("cancelled plan removes files", func(t *testing.T) {
		dir := t.TempDir()
		d := New(Config{SpillRows: 1, SpillDir: dir})
		rows := spillRows(50, false)
		for i := range rows {
			if err := d.Observe(&rows[i]); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := d.Plan(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Plan error %v, want canceled", err)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("%d entries left after a failed Plan", len(left))
		}
	})
}

func containsString(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
