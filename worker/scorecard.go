package worker

import (
	"maps"
	"slices"
	"time"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/worker/dedup"
	"github.com/listwash/listwash/worker/registers"
)

// Counts are the scorecard's row counts. Field-level counts (invalid_*)
// cover rows that could be read as records; rejected rows are counted in
// RejectedRows only. Each count is a number of rows, never of values.
type Counts struct {
	Rows              int64 `json:"rows"`                // data rows (header and blank lines excluded)
	RejectedRows      int64 `json:"rejected_rows"`       // rows in rejects.csv
	RepairedRows      int64 `json:"repaired_rows"`       // rows the reader repaired unambiguously
	DuplicateRows     int64 `json:"duplicate_rows"`      // rows whose person occurred in another row kept instead
	NearDuplicateRows int64 `json:"near_duplicate_rows"` // the part of DuplicateRows that are near (not exact) duplicates
	Persons           int64 `json:"persons"`             // Rows - DuplicateRows

	InvalidPhoneRows  int64 `json:"invalid_phone_rows"`  // a non-empty phone field that is not a valid callable number
	NoValidPhoneRows  int64 `json:"no_valid_phone_rows"` // no valid number at all
	InvalidPostalRows int64 `json:"invalid_postal_rows"` // empty, malformed, unknown, or not matching the city
	InvalidPNRRows    int64 `json:"invalid_pnr_rows"`    // empty, or failing format, date or checksum
	InvalidEmailRows  int64 `json:"invalid_email_rows"`  // a non-empty e-mail that is not valid

	NIXListedRows          int64 `json:"nix_listed_rows"`           // at least one valid number on NIX
	NIXCallableConsentRows int64 `json:"nix_callable_consent_rows"` // NIX-listed, every listed number lifted by consent or customer relation
	NIXBlockedRows         int64 `json:"nix_blocked_rows"`          // NIX-listed and not lifted
	RobinsonRows           int64 `json:"robinson_rows"`
	InternalDNCRows        int64 `json:"internal_dnc_rows"`
	DeceasedRows           int64 `json:"deceased_rows"`
	ErasedRows             int64 `json:"erased_rows"`
	MovedRows              int64 `json:"moved_rows"`
	PhoneOwnerMismatchRows int64 `json:"phone_owner_mismatch_rows"`

	CallableRows int64 `json:"callable_rows"` // non-duplicate rows with a callable number and no suppression
	MailableRows int64 `json:"mailable_rows"`
}

// named lists the counts with their JSON names, for rates and tables.
func (c *Counts) named() []namedCount {
	return []namedCount{
		{"rows", &c.Rows}, {"rejected_rows", &c.RejectedRows}, {"repaired_rows", &c.RepairedRows},
		{"duplicate_rows", &c.DuplicateRows}, {"near_duplicate_rows", &c.NearDuplicateRows},
		{"persons", &c.Persons}, {"invalid_phone_rows", &c.InvalidPhoneRows},
		{"no_valid_phone_rows", &c.NoValidPhoneRows}, {"invalid_postal_rows", &c.InvalidPostalRows},
		{"invalid_pnr_rows", &c.InvalidPNRRows}, {"invalid_email_rows", &c.InvalidEmailRows},
		{"nix_listed_rows", &c.NIXListedRows}, {"nix_callable_consent_rows", &c.NIXCallableConsentRows},
		{"nix_blocked_rows", &c.NIXBlockedRows}, {"robinson_rows", &c.RobinsonRows},
		{"internal_dnc_rows", &c.InternalDNCRows}, {"deceased_rows", &c.DeceasedRows},
		{"erased_rows", &c.ErasedRows}, {"moved_rows", &c.MovedRows},
		{"phone_owner_mismatch_rows", &c.PhoneOwnerMismatchRows},
		{"callable_rows", &c.CallableRows}, {"mailable_rows", &c.MailableRows},
	}
}

type namedCount struct {
	name string
	v    *int64
}

// Add adds o to c.
func (c *Counts) Add(o *Counts) {
	mine, theirs := c.named(), o.named()
	for i := range mine {
		*mine[i].v += *theirs[i].v
	}
}

// Rates divides every count by Rows.
func (c *Counts) Rates() map[string]float64 {
	out := map[string]float64{}
	for _, n := range c.named() {
		if n.name == "rows" {
			continue
		}
		if c.Rows == 0 {
			out[n.name] = 0
			continue
		}
		out[n.name] = float64(*n.v) / float64(c.Rows)
	}
	return out
}

// tally accumulates counts and reason codes for one goroutine.
type tally struct {
	Counts
	reasons    map[string]int64
	validUntil string // the earliest ValidUntil of a row, "" if none
}

func newTally() *tally { return &tally{reasons: map[string]int64{}} }

// count adds one row. It is the single definition of every count: the
// write path and the read-back check both call it.
func (t *tally) count(r *formats.Row) {
	c := &t.Counts
	c.Rows++
	if v := r.ValidUntil; v != nil && *v != "" && (t.validUntil == "" || *v < t.validUntil) {
		t.validUntil = *v
	}
	for _, code := range r.Reasons {
		t.reasons[code]++
	}
	if r.Rejected {
		c.RejectedRows++
		return
	}
	if r.HasReason(formats.RepairedExtraDelimiter) {
		c.RepairedRows++
	}
	if r.DuplicateOf != 0 {
		c.DuplicateRows++
		if r.HasReason(ReasonNearDuplicate) {
			c.NearDuplicateRows++
		}
	}
	if (r.PhoneRaw != "" && !r.PhoneValid) || (r.MobileRaw != "" && !r.MobileValid) {
		c.InvalidPhoneRows++
	}
	if !r.PhoneValid && !r.MobileValid && len(r.Phones) == 0 {
		c.NoValidPhoneRows++
	}
	if !r.PostalValid {
		c.InvalidPostalRows++
	}
	if !r.PNRValid {
		c.InvalidPNRRows++
	}
	if r.EmailRaw != "" && !r.EmailValid {
		c.InvalidEmailRows++
	}
	if isTrue(r.NIXListed) {
		c.NIXListedRows++
		if r.HasReason(ReasonNIXBlocked) {
			c.NIXBlockedRows++
		} else {
			c.NIXCallableConsentRows++
		}
	}
	if isTrue(r.Robinson) {
		c.RobinsonRows++
	}
	if isTrue(r.InternalDNC) {
		c.InternalDNCRows++
	}
	if isTrue(r.Deceased) {
		c.DeceasedRows++
	}
	if isTrue(r.Erased) {
		c.ErasedRows++
	}
	if isTrue(r.Moved) {
		c.MovedRows++
	}
	if r.PhoneOwnerMatch != nil && !*r.PhoneOwnerMatch {
		c.PhoneOwnerMismatchRows++
	}
	if r.Callable {
		c.CallableRows++
	}
	if r.Mailable {
		c.MailableRows++
	}
}

func (t *tally) add(o *tally) {
	t.Counts.Add(&o.Counts)
	if o.validUntil != "" && (t.validUntil == "" || o.validUntil < t.validUntil) {
		t.validUntil = o.validUntil
	}
	for k, v := range o.reasons {
		t.reasons[k] += v
	}
}

// finish derives the counts defined from others.
func (t *tally) finish() { t.Persons = t.Rows - t.DuplicateRows }

// Reason codes the counts rely on; the stages that set them own them.
const (
	ReasonDuplicate     = dedup.ReasonDuplicate
	ReasonNearDuplicate = dedup.ReasonNearDuplicate
	ReasonNIXBlocked    = registers.ReasonNIXBlocked
)

// Scorecard is scorecard.json: one delivery of one supplier, for the people
// who decide which suppliers to keep paying. It holds no personal data.
type Scorecard struct {
	Supplier        string             `json:"supplier"`
	RunID           string             `json:"run_id"`
	Company         string             `json:"company,omitempty"`
	AsOf            string             `json:"asof"`
	Mode            string             `json:"mode"`
	Input           InputInfo          `json:"input"`
	Started         time.Time          `json:"started"`
	Finished        time.Time          `json:"finished"`
	Registers       []RegisterInfo     `json:"registers"`
	Counts          Counts             `json:"counts"`
	Rates           map[string]float64 `json:"rates"`
	Reasons         map[string]int64   `json:"reasons"`
	Dedup           *DedupStats        `json:"dedup,omitempty"` // persons, households, seen before in earlier deliveries
	UnmappedColumns []string           `json:"unmapped_columns,omitempty"`
	Notes           []string           `json:"notes,omitempty"`
}

// InputInfo identifies the delivery file.
type InputInfo struct {
	Name   string       `json:"name"`
	Size   int64        `json:"size"`
	SHA256 string       `json:"sha256"`
	Read   formats.Info `json:"read_as"`
}

// RegisterInfo says whether a register was used and which version.
type RegisterInfo struct {
	Name    string `json:"name"`
	Used    bool   `json:"used"`
	Version string `json:"version,omitempty"`
	Entries int64  `json:"entries,omitempty"`
}

// sortedReasons returns the reason codes by descending count.
func sortedReasons(m map[string]int64) []string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			if m[a] > m[b] {
				return -1
			}
			return 1
		}
		if a < b {
			return -1
		}
		return 1
	})
	return keys
}
