package worker

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/listwash/listwash/worker/dedup"
)

// DedupConfig configures the dedup stage. The zero value deduplicates with
// the default threshold and no cross-delivery index.
type DedupConfig struct {
	// Match tunes matching (threshold, block cap); zero values are defaults.
	Match dedup.Config
	// Index, when set, marks rows seen in earlier deliveries (SeenBefore)
	// and collects this run's keys. The caller commits it (Index.Commit)
	// after the run's manifest is written; nil disables the index.
	Index *dedup.Index
	// Logger gets one line when the plan is made; nil: discard.
	Logger *slog.Logger
}

// DedupStats is the dedup part of the supplier scorecard. Seen-before
// counts and overlaps count persons (rows that are not duplicates), so
// that a person sold twice in one file is not counted twice.
type DedupStats struct {
	DuplicateRows           int64            `json:"duplicate_rows"`       // exact + near
	ExactDuplicateRows      int64            `json:"exact_duplicate_rows"` // reason DUPLICATE
	NearDuplicateRows       int64            `json:"near_duplicate_rows"`  // reason NEAR_DUPLICATE
	Persons                 int64            `json:"persons"`              // non-rejected rows - duplicates
	Households              int64            `json:"households"`           // households of two or more persons
	SeenBeforeSameSupplier  int64            `json:"seen_before_same_supplier"`
	SeenBeforeOtherSupplier int64            `json:"seen_before_other_supplier"`
	OverlapBySupplier       map[string]int64 `json:"overlap_by_supplier"` // persons also sold by each other supplier
	// ContactIndex is true when the run looked its rows up in the
	// cross-delivery contact index; without it the seen-before counts are
	// 0 because nothing was looked up, not because nothing was found.
	ContactIndex bool `json:"contact_index"`
}

// DedupStage marks duplicates within the delivery and, with an index, rows
// bought before. It is a Planner: Observe every batch in file order, Plan
// once, then Process batches from any number of goroutines.
type DedupStage struct {
	d   *dedup.Deduper
	ix  *dedup.Index
	log *slog.Logger

	mu      sync.Mutex
	same    int64
	other   int64
	overlap map[string]int64
}

var _ Planner = (*DedupStage)(nil)

// NewDedupStage returns the dedup stage.
func NewDedupStage(cfg DedupConfig) *DedupStage {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &DedupStage{d: dedup.New(cfg.Match), ix: cfg.Index, log: log, overlap: map[string]int64{}}
}

// Name implements Stage.
func (s *DedupStage) Name() string { return "dedup" }

// Close removes the deduper's spill files, if any (Plan removes them
// itself; a run that fails before Plan must call Close).
func (s *DedupStage) Close() error { return s.d.Close() }

// Observe implements Planner: it keeps the compact matching state of every
// non-rejected row of b.
func (s *DedupStage) Observe(ctx context.Context, b *Batch) error {
	for i := range b.Rows {
		if err := s.d.Observe(&b.Rows[i]); err != nil {
			return fmt.Errorf("dedup observe batch %d: %w", b.Seq, err)
		}
	}
	return ctx.Err()
}

// Plan implements Planner: it clusters the delivery and picks survivors.
func (s *DedupStage) Plan(ctx context.Context) error {
	started := time.Now()
	if err := s.d.Plan(ctx); err != nil {
		return err
	}
	st := s.d.Stats()
	s.log.Info("dedup planned", "rows", st.Rows, "duplicates", st.DuplicateRows, "comparisons", st.Comparisons,
		"spilled", s.d.Spilled(), "seconds", time.Since(started).Seconds())
	return nil
}

// Process implements Stage: it marks the rows of b from the plan
// (DuplicateOf, MatchScore, HouseholdID, reasons) and from the index
// (SeenBefore).
func (s *DedupStage) Process(ctx context.Context, b *Batch) error {
	if err := s.d.Apply(b.Rows); err != nil {
		return err
	}
	if s.ix == nil {
		return nil
	}
	m := s.ix.Marker()
	defer m.Done()
	var same, other int64
	var overlap map[string]int64
	for i := range b.Rows {
		row := &b.Rows[i]
		if row.Rejected {
			continue
		}
		seen := m.Mark(row)
		row.SeenBefore = seen.Label
		if row.DuplicateOf != 0 || seen.Label == "" {
			continue
		}
		if seen.SameSupplier {
			same++
		}
		if len(seen.Others) > 0 {
			other++
			if overlap == nil {
				overlap = map[string]int64{}
			}
			for _, sup := range seen.Others {
				overlap[sup]++
			}
		}
	}
	s.mu.Lock()
	s.same += same
	s.other += other
	for k, v := range overlap {
		s.overlap[k] += v
	}
	s.mu.Unlock()
	return ctx.Err()
}

// Stats returns the scorecard counts; complete once every batch has been
// processed.
func (s *DedupStage) Stats() DedupStats {
	ds := s.d.Stats()
	s.mu.Lock()
	defer s.mu.Unlock()
	return DedupStats{
		DuplicateRows:           ds.DuplicateRows,
		ExactDuplicateRows:      ds.ExactDuplicateRows,
		NearDuplicateRows:       ds.NearDuplicateRows,
		Persons:                 ds.Persons,
		Households:              ds.Households,
		SeenBeforeSameSupplier:  s.same,
		SeenBeforeOtherSupplier: s.other,
		OverlapBySupplier:       maps.Clone(s.overlap),
		ContactIndex:            s.ix != nil,
	}
}
