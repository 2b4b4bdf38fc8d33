package worker

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// A supplier's history is read from committed runs only: every folder with
// a _manifest.json, whose scorecard is found through the manifest's file
// list (the distributed layout keeps it under attempts/<attempt>/). Nothing
// here reads or prints personal data: scorecards hold counts only.

// HistoryStore is what ReadHistory needs of a store; infra.BucketReader
// satisfies it.
type HistoryStore interface {
	// ListKeys returns every key under prefix, in key order.
	ListKeys(ctx context.Context, prefix string) ([]string, error)
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

// Errors of one committed run, in HistoryError.Err.
var (
	// ErrNoScorecard: the run's manifest lists no scorecard.json.
	ErrNoScorecard = errors.New("manifest lists no " + ScorecardKey)
	// ErrScorecardChanged: the scorecard's size or checksum is not the
	// manifest's.
	ErrScorecardChanged = errors.New("scorecard differs from the manifest (size or checksum)")
)

// historyReaders bounds the scorecards read at once (each is one small GET).
const historyReaders = 8

// HistoryScan is what ReadHistory found in one store.
type HistoryScan struct {
	Deliveries []Delivery     // one per committed run whose scorecard was read, in manifest key order
	Errors     []HistoryError // committed runs whose manifest or scorecard could not be read
	// Uncommitted counts run folders without a manifest (failed or
	// unfinished runs): folders holding a scorecard.json, rejects.csv, or
	// an attempts/, rows/, callable/, mailable/ or chunks/ folder, outside
	// every committed run. They are skipped.
	Uncommitted int
}

// HistoryError is one committed run that could not be read.
type HistoryError struct {
	Key string // the manifest's or the scorecard's key in the store
	Err error
}

func (e HistoryError) Error() string { return e.Key + ": " + e.Err.Error() }
func (e HistoryError) Unwrap() error { return e.Err }

// Delivery is one committed run in a supplier's history.
type Delivery struct {
	Supplier string      `json:"-"` // the SupplierHistory's
	RunID    string      `json:"run_id"`
	Input    string      `json:"input"`    // the input's key as the scorecard names it
	Started  time.Time   `json:"started"`  // the scorecard's, UTC
	Manifest string      `json:"manifest"` // the manifest's key in its store (the command prefixes the location)
	Counts   Counts      `json:"counts"`
	Seen     *SeenBefore `json:"seen_before"` // null: the run had no contact index (or its scorecard does not say)
	Rates    Rates       `json:"rates"`       // filled by Aggregate
}

// SeenBefore are a run's persons found in earlier deliveries through the
// contact index (DedupStats), summed over runs for totals.
type SeenBefore struct {
	Persons       int64 `json:"persons"` // non-rejected rows minus duplicates: the denominator
	SameSupplier  int64 `json:"same_supplier"`
	OtherSupplier int64 `json:"other_supplier"`
}

// ReadHistory finds every committed run under st (st itself may be one
// run's folder) and reads its scorecard. A manifest or scorecard that is
// missing, unreadable, or does not match the manifest's size and checksum
// is reported in HistoryScan.Errors; the error return is for a failed
// listing (or ctx) only.
func ReadHistory(ctx context.Context, st HistoryStore) (HistoryScan, error) {
	keys, err := st.ListKeys(ctx, "")
	if err != nil {
		return HistoryScan{}, fmt.Errorf("list: %w", err)
	}
	var manifests []string
	runs := map[string]bool{} // folders of committed runs; "." is the root
	for _, k := range keys {
		if path.Base(k) == ManifestKey {
			manifests = append(manifests, k)
			runs[path.Dir(k)] = true
		}
	}
	scan := HistoryScan{Uncommitted: countUncommitted(keys, runs)}

	found := make([]*Delivery, len(manifests))
	errs := make([]*HistoryError, len(manifests))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(historyReaders)
	for i, mk := range manifests {
		g.Go(func() error {
			d, herr := readDelivery(gctx, st, mk)
			if err := gctx.Err(); err != nil {
				return err
			}
			found[i], errs[i] = d, herr
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return HistoryScan{}, err
	}
	for i := range manifests {
		if errs[i] != nil {
			scan.Errors = append(scan.Errors, *errs[i])
		} else {
			scan.Deliveries = append(scan.Deliveries, *found[i])
		}
	}
	return scan, nil
}

// readDelivery reads one committed run through its manifest.
func readDelivery(ctx context.Context, st HistoryStore, manifestKey string) (*Delivery, *HistoryError) {
	data, err := readObject(ctx, st, manifestKey)
	if err != nil {
		return nil, &HistoryError{manifestKey, err}
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, &HistoryError{manifestKey, fmt.Errorf("manifest unreadable: %w", err)}
	}
	f, ok := scorecardFile(m.Files)
	if !ok {
		return nil, &HistoryError{manifestKey, ErrNoScorecard}
	}
	key := f.Key
	if dir := path.Dir(manifestKey); dir != "." {
		key = dir + "/" + f.Key
	}
	data, err = readObject(ctx, st, key)
	if err != nil {
		return nil, &HistoryError{key, err}
	}
	if sum := sha256.Sum256(data); int64(len(data)) != f.Size || hex.EncodeToString(sum[:]) != f.SHA256 {
		return nil, &HistoryError{key, ErrScorecardChanged}
	}
	var sc Scorecard
	if err := json.Unmarshal(data, &sc); err != nil {
		return nil, &HistoryError{key, fmt.Errorf("scorecard unreadable: %w", err)}
	}
	d := &Delivery{Supplier: cmp.Or(sc.Supplier, m.Supplier), RunID: cmp.Or(sc.RunID, m.RunID),
		Input: sc.Input.Name, Started: sc.Started.UTC(), Manifest: manifestKey, Counts: sc.Counts}
	if sc.Dedup != nil && sc.Dedup.ContactIndex {
		d.Seen = &SeenBefore{Persons: sc.Dedup.Persons,
			SameSupplier: sc.Dedup.SeenBeforeSameSupplier, OtherSupplier: sc.Dedup.SeenBeforeOtherSupplier}
	}
	return d, nil
}

// scorecardFile finds the scorecard among a manifest's files: at the run's
// root, or under attempts/<attempt>/.
func scorecardFile(files []OutputFile) (OutputFile, bool) {
	for _, f := range files {
		if f.Key == ScorecardKey || strings.HasPrefix(f.Key, "attempts/") && path.Base(f.Key) == ScorecardKey {
			return f, true
		}
	}
	return OutputFile{}, false
}

func readObject(ctx context.Context, st HistoryStore, key string) ([]byte, error) {
	rc, err := st.Open(ctx, key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("missing: %w", fs.ErrNotExist)
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(rc); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	return b.Bytes(), nil
}

// countUncommitted counts the run folders among keys that lie outside every
// committed run.
func countUncommitted(keys []string, runs map[string]bool) int {
	inRun := func(k string) bool {
		for d := path.Dir(k); ; d = path.Dir(d) {
			if runs[d] {
				return true
			}
			if d == "." || d == "/" {
				return false
			}
		}
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if root, ok := runFolderOf(k); ok && !seen[root] && !inRun(k) {
			seen[root] = true
		}
	}
	return len(seen)
}

// runFolderOf returns the folder of the run that wrote key, if key looks
// like a run's output.
func runFolderOf(key string) (string, bool) {
	parts := strings.Split(key, "/")
	for i, p := range parts[:len(parts)-1] {
		switch p {
		case "attempts", RowsDir, CallableDir, MailableDir, ChunksDir:
			return cmp.Or(strings.Join(parts[:i], "/"), "."), true
		}
	}
	switch parts[len(parts)-1] {
	case ScorecardKey, RejectsKey:
		return path.Dir(key), true
	}
	return "", false
}

// HistoryFilter selects deliveries. Zero fields select everything.
type HistoryFilter struct {
	Supplier string    // exact name, case-insensitive
	Since    time.Time // first day included (the date of Started, UTC)
	Until    time.Time // last day included
}

func (f HistoryFilter) match(d *Delivery) bool {
	if f.Supplier != "" && !strings.EqualFold(f.Supplier, d.Supplier) {
		return false
	}
	day := d.Started.UTC().Format(time.DateOnly)
	if !f.Since.IsZero() && day < f.Since.UTC().Format(time.DateOnly) {
		return false
	}
	return f.Until.IsZero() || day <= f.Until.UTC().Format(time.DateOnly)
}

// SupplierHistory is one supplier's deliveries over time and their total.
type SupplierHistory struct {
	Supplier   string     `json:"supplier"`
	Deliveries []Delivery `json:"deliveries"` // by Started, then RunID
	Total      Total      `json:"total"`
}

// Total sums a supplier's deliveries; its rates are those of the sums
// (weighted by rows), not an average of the deliveries' rates.
type Total struct {
	Deliveries int         `json:"deliveries"`
	Counts     Counts      `json:"counts"`
	Seen       *SeenBefore `json:"seen_before"` // over the deliveries washed with a contact index; null if none was
	Rates      Rates       `json:"rates"`
}

// History is the result of Aggregate.
type History struct {
	Suppliers []SupplierHistory // by supplier name
	// Repeated counts deliveries found more than once (the same supplier,
	// run id and start, e.g. under two locations given): each counts once.
	Repeated int
}

// Aggregate filters deliveries, groups them by supplier (ordered by name),
// orders each supplier's by Started then RunID, computes every rate and
// each supplier's total. It does not modify ds.
func Aggregate(ds []Delivery, f HistoryFilter) History {
	type runKey struct {
		supplier, runID string
		started         time.Time
	}
	var h History
	seen := map[runKey]bool{}
	by := map[string][]Delivery{}
	for _, d := range ds {
		if !f.match(&d) {
			continue
		}
		k := runKey{d.Supplier, d.RunID, d.Started.UTC()}
		if seen[k] {
			h.Repeated++
			continue
		}
		seen[k] = true
		d.Rates = newRates(&d.Counts, d.Seen)
		by[d.Supplier] = append(by[d.Supplier], d)
	}
	for name, list := range by {
		slices.SortStableFunc(list, func(a, b Delivery) int {
			return cmp.Or(a.Started.Compare(b.Started), strings.Compare(a.RunID, b.RunID))
		})
		h.Suppliers = append(h.Suppliers, SupplierHistory{Supplier: name, Deliveries: list, Total: total(list)})
	}
	slices.SortFunc(h.Suppliers, func(a, b SupplierHistory) int { return strings.Compare(a.Supplier, b.Supplier) })
	return h
}

func total(list []Delivery) Total {
	t := Total{Deliveries: len(list)}
	for i := range list {
		t.Counts.Add(&list[i].Counts)
		if s := list[i].Seen; s != nil {
			if t.Seen == nil {
				t.Seen = &SeenBefore{}
			}
			t.Seen.Persons += s.Persons
			t.Seen.SameSupplier += s.SameSupplier
			t.Seen.OtherSupplier += s.OtherSupplier
		}
	}
	t.Rates = newRates(&t.Counts, t.Seen)
	return t
}

// Rate is a count out of a total. In JSON it is the fraction N/Of,
// unrounded, or null when Of is 0.
type Rate struct {
	N, Of int64
}

// Fraction returns N/Of, 0 when Of is 0.
func (r Rate) Fraction() float64 {
	if r.Of == 0 {
		return 0
	}
	return float64(r.N) / float64(r.Of)
}

// Percent returns the rate in percent with one decimal, rounded half up
// in exact integer arithmetic ("12.5" for 1 of 8, "0.1" for 1 of 2000);
// "" when Of is 0.
func (r Rate) Percent() string {
	if r.Of <= 0 || r.N < 0 {
		return ""
	}
	pm := (2000*r.N + r.Of) / (2 * r.Of) // permille, half up
	return strconv.FormatInt(pm/10, 10) + "." + strconv.FormatInt(pm%10, 10)
}

// MarshalJSON implements json.Marshaler.
func (r Rate) MarshalJSON() ([]byte, error) {
	if r.Of == 0 {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, r.Fraction(), 'g', -1, 64), nil
}

// Rates are the history's rates: of rows, but seen-before of persons.
type Rates struct {
	Rejected          Rate `json:"rejected"`
	InvalidPhone      Rate `json:"invalid_phone"`
	NoValidPhone      Rate `json:"no_valid_phone"`
	InvalidPostal     Rate `json:"invalid_postal"`
	InvalidPNR        Rate `json:"invalid_pnr"`
	Duplicates        Rate `json:"duplicates"`
	NIXListed         Rate `json:"nix_listed"`
	NIXBlocked        Rate `json:"nix_blocked"`
	Deceased          Rate `json:"deceased"`
	SeenSameSupplier  Rate `json:"seen_before_same_supplier"`  // of SeenBefore.Persons; null without a contact index
	SeenOtherSupplier Rate `json:"seen_before_other_supplier"` // likewise
	Callable          Rate `json:"callable"`
}

func newRates(c *Counts, s *SeenBefore) Rates {
	of := func(n int64) Rate { return Rate{n, c.Rows} }
	r := Rates{
		Rejected: of(c.RejectedRows), InvalidPhone: of(c.InvalidPhoneRows), NoValidPhone: of(c.NoValidPhoneRows),
		InvalidPostal: of(c.InvalidPostalRows), InvalidPNR: of(c.InvalidPNRRows), Duplicates: of(c.DuplicateRows),
		NIXListed: of(c.NIXListedRows), NIXBlocked: of(c.NIXBlockedRows), Deceased: of(c.DeceasedRows),
		Callable: of(c.CallableRows),
	}
	if s != nil {
		r.SeenSameSupplier = Rate{s.SameSupplier, s.Persons}
		r.SeenOtherSupplier = Rate{s.OtherSupplier, s.Persons}
	}
	return r
}

// NamedRate is one of Rates with its JSON name.
type NamedRate struct {
	Name string
	Rate Rate
}

// Named lists the rates in table order, with their JSON names.
func (r Rates) Named() []NamedRate {
	return []NamedRate{
		{"rejected", r.Rejected}, {"invalid_phone", r.InvalidPhone}, {"no_valid_phone", r.NoValidPhone},
		{"invalid_postal", r.InvalidPostal}, {"invalid_pnr", r.InvalidPNR}, {"duplicates", r.Duplicates},
		{"nix_listed", r.NIXListed}, {"nix_blocked", r.NIXBlocked}, {"deceased", r.Deceased},
		{"seen_before_same_supplier", r.SeenSameSupplier}, {"seen_before_other_supplier", r.SeenOtherSupplier},
		{"callable", r.Callable},
	}
}
