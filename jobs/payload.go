package jobs

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"
)

// Wash modes.
const (
	ModeMark = "mark" // keep every row with its marks (rows/, rejects, scorecard)
	ModeWash = "wash" // also write callable/ and mailable/ with the contactable rows only
)

// AsOfLayout is the date format of Options.AsOf.
const AsOfLayout = "2006-01-02"

// Ref names one version of one stored object. It is a reference, never
// content.
type Ref struct {
	Store   string `json:"store"`   // store URL: "s3://bucket/prefix", "file:///data" or a path
	Key     string `json:"key"`     // key in Store, "/"-separated
	Version string `json:"version"` // ETag or version id when enqueued; a handler refuses another version
	Size    int64  `json:"size"`    // bytes when enqueued; picks the queue
}

// Options are the wash settings of a run. They hold no personal data.
type Options struct {
	Mode    string `json:"mode"`              // ModeMark or ModeWash
	Company string `json:"company,omitempty"` // id of the company the list is washed for (NIX consents)
	AsOf    string `json:"asof"`              // date the rules are judged at, AsOfLayout
	Profile string `json:"profile,omitempty"` // key of the supplier profile; "": detect the mapping
}

// WashFile washes one supplier file, or plans it into chunks.
type WashFile struct {
	RunID    string  `json:"run_id"`
	Supplier string  `json:"supplier"` // supplier id, e.g. "acme"
	Input    Ref     `json:"input"`
	Output   string  `json:"output"` // store URL; outputs go under run id
	Options  Options `json:"options"`
}

// WashChunk washes one byte range of a large input. The range starts and
// ends where the planner found record boundaries.
type WashChunk struct {
	RunID    string  `json:"run_id"`
	Supplier string  `json:"supplier"`
	Input    Ref     `json:"input"`
	Chunk    int     `json:"chunk"`  // 0-based index
	Chunks   int     `json:"chunks"` // chunks in the run
	Offset   int64   `json:"offset"` // first byte of the range
	Length   int64   `json:"length"` // bytes in the range
	Output   string  `json:"output"`
	Options  Options `json:"options"`
}

// WashMatch compares the rows of one dedup partition of a run: every
// chunk's rows whose blocking keys fall into it.
type WashMatch struct {
	RunID    string  `json:"run_id"`
	Supplier string  `json:"supplier"`
	Input    Ref     `json:"input"`
	Part     int     `json:"part"`  // 0-based partition
	Parts    int     `json:"parts"` // partitions in the run
	Chunks   int     `json:"chunks"`
	Output   string  `json:"output"`
	Options  Options `json:"options"`
}

// WashMerge merges the outputs of a run's chunks and writes the scorecard.
type WashMerge struct {
	RunID    string  `json:"run_id"`
	Supplier string  `json:"supplier"`
	Input    Ref     `json:"input"`
	Chunks   int     `json:"chunks"`
	Output   string  `json:"output"`
	Options  Options `json:"options"`
}

// WashApply writes the final output of one chunk of a run from the
// merge's dedup plan.
type WashApply struct {
	RunID    string  `json:"run_id"`
	Supplier string  `json:"supplier"`
	Input    Ref     `json:"input"`
	Chunk    int     `json:"chunk"`  // 0-based index
	Chunks   int     `json:"chunks"` // chunks in the run
	Output   string  `json:"output"`
	Options  Options `json:"options"`
}

// WashCommit checks the applied chunks of a run, writes its scorecard and
// commits it.
type WashCommit struct {
	RunID    string  `json:"run_id"`
	Supplier string  `json:"supplier"`
	Input    Ref     `json:"input"`
	Chunks   int     `json:"chunks"`
	Output   string  `json:"output"`
	Options  Options `json:"options"`
}

// File returns the wash:file payload of the run a chunk task belongs to.
func (p WashChunk) File() WashFile {
	return WashFile{RunID: p.RunID, Supplier: p.Supplier, Input: p.Input, Output: p.Output, Options: p.Options}
}

// File returns the wash:file payload of the run.
func (p WashMatch) File() WashFile {
	return WashFile{RunID: p.RunID, Supplier: p.Supplier, Input: p.Input, Output: p.Output, Options: p.Options}
}

// File returns the wash:file payload of the run.
func (p WashMerge) File() WashFile {
	return WashFile{RunID: p.RunID, Supplier: p.Supplier, Input: p.Input, Output: p.Output, Options: p.Options}
}

// File returns the wash:file payload of the run.
func (p WashApply) File() WashFile {
	return WashFile{RunID: p.RunID, Supplier: p.Supplier, Input: p.Input, Output: p.Output, Options: p.Options}
}

// File returns the wash:file payload of the run.
func (p WashCommit) File() WashFile {
	return WashFile{RunID: p.RunID, Supplier: p.Supplier, Input: p.Input, Output: p.Output, Options: p.Options}
}

func invalid(task, field, why string) error {
	return fmt.Errorf("%w: %s: %s %s", ErrInvalidPayload, task, field, why)
}

// ValidID accepts run and supplier ids that are safe in keys and logs:
// 1-64 of [A-Za-z0-9._-], not starting with a dot. The trigger and
// upload-url accept a supplier folder by it too.
func ValidID(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func validKey(k string) bool {
	return k != "" && !strings.HasPrefix(k, "/") && path.Clean(k) == k && !strings.HasPrefix(k, "../")
}

func (r Ref) validate(task, field string) error {
	switch {
	case r.Store == "":
		return invalid(task, field+".store", "is empty")
	case !validKey(r.Key):
		return invalid(task, field+".key", "is not a clean relative key")
	case r.Version == "":
		return invalid(task, field+".version", "is empty")
	case r.Size < 0:
		return invalid(task, field+".size", "is negative")
	}
	return nil
}

func (o Options) validate(task string) error {
	switch o.Mode {
	case ModeMark, ModeWash:
	default:
		return invalid(task, "options.mode", "is not mark or wash")
	}
	if _, err := time.Parse(AsOfLayout, o.AsOf); err != nil {
		return invalid(task, "options.asof", "is not a YYYY-MM-DD date")
	}
	if o.Profile != "" && !validKey(o.Profile) {
		return invalid(task, "options.profile", "is not a clean relative key")
	}
	return nil
}

func validateRun(task, runID, supplier string, in Ref, output string, o Options) error {
	switch {
	case !ValidID(runID):
		return invalid(task, "run_id", "is not 1-64 of [A-Za-z0-9._-]")
	case !ValidID(supplier):
		return invalid(task, "supplier", "is not 1-64 of [A-Za-z0-9._-]")
	case output == "":
		return invalid(task, "output", "is empty")
	}
	if err := in.validate(task, "input"); err != nil {
		return err
	}
	return o.validate(task)
}

// Validate reports whether p is complete and well-formed.
func (p WashFile) Validate() error {
	return validateRun(TypeWashFile, p.RunID, p.Supplier, p.Input, p.Output, p.Options)
}

// Validate reports whether p is complete and well-formed.
func (p WashChunk) Validate() error {
	if err := validateChunk(TypeWashChunk, p.File(), p.Chunk, p.Chunks); err != nil {
		return err
	}
	switch {
	case p.Offset < 0:
		return invalid(TypeWashChunk, "offset", "is negative")
	case p.Length <= 0:
		return invalid(TypeWashChunk, "length", "is not positive")
	}
	return nil
}

// Validate reports whether p is complete and well-formed.
func (p WashMatch) Validate() error {
	if err := validateChunk(TypeWashMatch, p.File(), 0, p.Chunks); err != nil {
		return err
	}
	switch {
	case p.Parts < 1:
		return invalid(TypeWashMatch, "parts", "is below 1")
	case p.Part < 0 || p.Part >= p.Parts:
		return invalid(TypeWashMatch, "part", "is outside 0..parts-1")
	}
	return nil
}

// Validate reports whether p is complete and well-formed.
func (p WashMerge) Validate() error { return validateChunk(TypeWashMerge, p.File(), 0, p.Chunks) }

// Validate reports whether p is complete and well-formed.
func (p WashApply) Validate() error { return validateChunk(TypeWashApply, p.File(), p.Chunk, p.Chunks) }

// Validate reports whether p is complete and well-formed.
func (p WashCommit) Validate() error { return validateChunk(TypeWashCommit, p.File(), 0, p.Chunks) }

// validateChunk validates the run of a step task of a chunked run and its
// chunk numbers (chunk 0 for the steps of the whole run).
func validateChunk(task string, f WashFile, chunk, chunks int) error {
	if err := validateRun(task, f.RunID, f.Supplier, f.Input, f.Output, f.Options); err != nil {
		return err
	}
	switch {
	case chunks < 1:
		return invalid(task, "chunks", "is below 1")
	case chunk < 0 || chunk >= chunks:
		return invalid(task, "chunk", "is outside 0..chunks-1")
	}
	return nil
}

// parse decodes data into p and validates it. Unknown fields are
// tolerated, so a newer enqueuer can add optional fields during a rolling
// upgrade.
func parse[T interface{ Validate() error }](task string, data []byte) (T, error) {
	var p T
	if err := json.Unmarshal(data, &p); err != nil {
		var zero T
		return zero, fmt.Errorf("%w: %s: %w", ErrInvalidPayload, task, err)
	}
	if err := p.Validate(); err != nil {
		var zero T
		return zero, err
	}
	return p, nil
}
