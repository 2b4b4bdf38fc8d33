package formats

// Reader streams records from one supplier file.
//
// Contract: Read returns io.EOF after the last record. A malformed record is
// returned with a nil error and Record.Reject set. A non-nil error other than
// io.EOF means the file cannot be read any further (truncated gzip, I/O
// failure); it is a *ParseError where a position is known.
type Reader interface {
	// Header returns the header cells as written in the file (decoded,
	// trimmed, BOM removed).
	Header() []string
	// Mapping returns the canonical field of every header column.
	Mapping() Mapping
	// Read fills rec with the next record. rec.Fields may be reused.
	Read(rec *Record) error
	// Info describes what was detected (format, encoding, delimiter).
	Info() Info
	// BytesRead reports how many bytes of the underlying (possibly
	// compressed) input have been consumed, for progress display.
	BytesRead() int64
	Close() error
}

// Info describes a file as the reader understood it. It goes into the
// scorecard so a supplier can see how their file was read.
type Info struct {
	Format     string `json:"format"`               // "csv" or "xlsx"
	Compressed string `json:"compressed,omitempty"` // "gzip" or ""
	Encoding   string `json:"encoding,omitempty"`   // "utf-8", "utf-8-bom", "windows-1252"
	Delimiter  string `json:"delimiter,omitempty"`  // ";", ",", "\t", "|"
	LineEnds   string `json:"line_ends,omitempty"`  // "crlf" or "lf"
	Columns    int    `json:"columns"`
}

// Mapping gives the canonical field of each header column, by index.
type Mapping struct {
	Columns []Field  // one per header column; FieldNone for unmapped
	Names   []string // header names as written, same length as Columns
	// Ignored marks columns a profile drops on purpose ("-"): data
	// minimisation, so they are neither carried nor reported. nil: none.
	Ignored []bool
}

// IsIgnored reports whether column i is dropped on purpose.
func (m Mapping) IsIgnored(i int) bool { return i < len(m.Ignored) && m.Ignored[i] }

// Unmapped lists the header names that map to no canonical field. Their
// values are carried through in Row.Extra.
func (m Mapping) Unmapped() []string {
	var out []string
	for i, f := range m.Columns {
		if f == FieldNone && !m.IsIgnored(i) {
			out = append(out, m.Names[i])
		}
	}
	return out
}

// Index returns the first column mapped to f, or -1.
func (m Mapping) Index(f Field) int {
	for i, c := range m.Columns {
		if c == f {
			return i
		}
	}
	return -1
}
