package worker

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/worker/dedup"
)

var (
	stFirst = []string{"Anna", "Eva", "Karin", "Sara", "Emma", "Erik", "Lars", "Karl", "Johan", "Per", "Nils", "Oskar", "Axel", "Hugo", "Elsa", "Maja"}
	stLast  = []string{"Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson", "Lindberg", "Berg", "Holm"}
)

// people returns n distinct persons, filled as the normaliser would; id
// offsets their identifiers so that two calls with other ids do not meet.
func people(rnd *rand.Rand, n, id int) []formats.Row {
	rows := make([]formats.Row, n)
	for i := range rows {
		k := id + i
		r := &rows[i]
		r.FirstName, r.LastName = stFirst[rnd.IntN(len(stFirst))], stLast[rnd.IntN(len(stLast))]
		r.StreetName, r.StreetNumber = "Storgatan", strconv.Itoa(1+rnd.IntN(200))
		r.Street = r.StreetName + " " + r.StreetNumber
		r.PostalCode, r.PostalValid, r.City = fmt.Sprintf("%03d %02d", 100+k%800, k%100), true, "Ort"
		r.MobileE164, r.MobileValid = fmt.Sprintf("+4670%07d", k), true
		if k%2 == 0 {
			r.PNR, r.PNRValid = fmt.Sprintf("19%010d", k), true
		}
		if k%3 == 0 {
			r.Email, r.EmailValid = fmt.Sprintf("p%d@example.se", k), true
		}
	}
	return rows
}

// withCopies appends exact and typo'd copies of some rows and shuffles.
func withCopies(rnd *rand.Rand, rows []formats.Row) []formats.Row {
	n := len(rows)
	for i := 0; i < n; i++ {
		switch rnd.IntN(10) {
		case 0:
			rows = append(rows, rows[i])
		case 1:
			c := rows[i]
			c.LastName = c.LastName[:len(c.LastName)-1]
			c.Email, c.EmailValid = "", false
			rows = append(rows, c)
		}
	}
	rnd.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	return rows
}

func numberLines(rows []formats.Row) {
	for i := range rows {
		rows[i].SourceLine = int64(i + 2)
	}
}

// runDedup plays the runner: Observe batches in order, Plan, then Process
// the batches from workers goroutines in a scrambled order.
func runDedup(t testing.TB, s *DedupStage, rows []formats.Row, batch, workers int) {
	t.Helper()
	ctx := context.Background()
	var batches []*Batch
	for i := 0; i < len(rows); i += batch {
		batches = append(batches, &Batch{Seq: int64(len(batches)), Rows: rows[i:min(i+batch, len(rows))]})
	}
	for _, b := range batches {
		if err := s.Observe(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Plan(ctx); err != nil {
		t.Fatal(err)
	}
	ch := make(chan *Batch)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for b := range ch {
				if err := s.Process(ctx, b); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	order := rand.New(rand.NewPCG(uint64(batch), 1)).Perm(len(batches))
	for _, i := range order {
		ch <- batches[i]
	}
	close(ch)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestDedupStageDeterministic(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 7))
	base := withCopies(rnd, people(rnd, 3000, 0))
	numberLines(base)
	base[5].Rejected = true
	type mark struct {
		dup, hh int64
		score   float32
		reasons string
	}
	var want []mark
	var wantStats DedupStats
	for _, tc := range []struct{ batch, workers int }{{len(base), 1}, {1, 2}, {7, 3}, {256, 2}, {1000, 4}} {
		t.Run(fmt.Sprintf("batch %d workers %d", tc.batch, tc.workers), func(t *testing.T) {
			rows := slices.Clone(base)
			s := NewDedupStage(DedupConfig{})
			runDedup(t, s, rows, tc.batch, tc.workers)
			got := make([]mark, len(rows))
			for i, r := range rows {
				got[i] = mark{r.DuplicateOf, r.HouseholdID, r.MatchScore, fmt.Sprint(r.Reasons)}
			}
			st := s.Stats()
			if want == nil {
				want, wantStats = got, st
				if st.DuplicateRows == 0 || st.ExactDuplicateRows == 0 || st.NearDuplicateRows == 0 {
					t.Fatalf("stats %+v: the input has exact and near duplicates", st)
				}
				if st.Persons+st.DuplicateRows != int64(len(rows)-1) {
					t.Errorf("persons %d + duplicates %d != non-rejected rows %d", st.Persons, st.DuplicateRows, len(rows)-1)
				}
				if rows[5].DuplicateOf != 0 || len(rows[5].Reasons) != 0 {
					t.Errorf("rejected row marked")
				}
				return
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("line %d: %+v, want %+v", rows[i].SourceLine, got[i], want[i])
				}
			}
			if fmt.Sprint(st) != fmt.Sprint(wantStats) {
				t.Errorf("stats %+v, want %+v", st, wantStats)
			}
		})
	}
}

func TestDedupStageSeenBefore(t *testing.T) {
	ctx := context.Background()
	st, err := infra.NewLocalStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	key := dedup.IndexKey{ID: "test", Secret: []byte("test secret, 16 bytes or more")}
	rnd := rand.New(rand.NewPCG(3, 3))
	const n = 10000

	deliver := func(run dedup.RunInfo, rows []formats.Row) DedupStats {
		t.Helper()
		ix, err := dedup.OpenIndex(ctx, st, key, run)
		if err != nil {
			t.Fatal(err)
		}
		numberLines(rows)
		s := NewDedupStage(DedupConfig{Index: ix})
		runDedup(t, s, rows, 512, 2)
		if err := ix.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		return s.Stats()
	}

	first := people(rnd, n, 0)
	s1 := deliver(dedup.RunInfo{Supplier: "acme", RunID: "r1", Date: "2025-01-10"}, slices.Clone(first))
	if s1.SeenBeforeSameSupplier+s1.SeenBeforeOtherSupplier != 0 {
		t.Fatalf("first delivery seen before: %+v", s1)
	}

	// Second delivery, another supplier: 30% of the first one's people
	// (names re-typed, one identifier each may be missing), 70% new.
	second := people(rnd, n*7/10, n)
	for _, i := range rnd.Perm(n)[:n*3/10] {
		p := first[i]
		p.FirstName = p.FirstName + "a"
		if i%5 == 0 {
			p.Email, p.EmailValid = "", false
		}
		second = append(second, p)
	}
	rnd.Shuffle(len(second), func(i, j int) { second[i], second[j] = second[j], second[i] })
	s2 := deliver(dedup.RunInfo{Supplier: "bolaget", RunID: "r2", Date: "2025-02-10"}, second)
	pct := 100 * float64(s2.SeenBeforeOtherSupplier) / float64(s2.Persons)
	t.Logf("second delivery: %d persons, %d seen before at another supplier (%.2f%%), overlap %v", s2.Persons, s2.SeenBeforeOtherSupplier, pct, s2.OverlapBySupplier)
	if pct < 29 || pct > 31 || s2.OverlapBySupplier["acme"] != s2.SeenBeforeOtherSupplier || s2.SeenBeforeSameSupplier != 0 {
		t.Errorf("second delivery: %.2f%% seen before, stats %+v; want 30%% from acme", pct, s2)
	}
	for _, r := range second {
		if r.SeenBefore != "" && r.SeenBefore != "acme/r1/2025-01-10" {
			t.Fatalf("seen_before %q, want acme/r1/2025-01-10", r.SeenBefore)
		}
	}

	// Third delivery, acme again, the second file repeated: its own 30%
	// share is seen from both suppliers, the rest from bolaget only.
	third := slices.Clone(second)
	for i := range third {
		third[i].SeenBefore = ""
	}
	s3 := deliver(dedup.RunInfo{Supplier: "acme", RunID: "r3", Date: "2025-03-10"}, third)
	if s3.SeenBeforeOtherSupplier != s3.Persons || s3.SeenBeforeSameSupplier != s2.SeenBeforeOtherSupplier {
		t.Errorf("third delivery stats %+v: want every person seen at bolaget and %d at acme", s3, s2.SeenBeforeOtherSupplier)
	}
}
