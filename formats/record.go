package formats

import (
	"errors"
	"fmt"
)

// Record is one record as read from a supplier file, before any washing.
//
// A bad record is data, not an error (the encoding/csv habit): the reader
// returns it with Reject set, and the pipeline writes it to rejects.csv and
// to the rows output with rejected=true. Nothing is ever dropped silently.
type Record struct {
	// Line is the 1-based physical line where the record starts in the file
	// as delivered (the header is line 1). For XLSX it is the sheet row.
	Line int64
	// Fields holds the cells in column order. With a ragged row it may be
	// shorter or longer than the header. The reader may reuse the backing
	// array on the next Read: copy what must outlive the batch.
	Fields []string
	// Raw is the record's text as read (decoded to UTF-8). Readers fill it
	// only when Reject or Repair is set, to keep the hot path free of copies.
	Raw string
	// Reject is a reason code (RejectXxx) when the record could not be read
	// as a record at all; Message says what was wrong, with no cell values.
	Reject  string
	Message string
	// Repair is a reason code when the reader repaired the record
	// unambiguously (e.g. RepairedExtraDelimiter); the record is still data.
	Repair string
}

// Reason codes set by readers.
const (
	RejectFieldCount       = "FIELD_COUNT"              // too many or too few fields and no safe repair
	RejectUnterminated     = "UNTERMINATED_QUOTE"       // a quoted field never closed before end of file
	RejectLineTooLong      = "LINE_TOO_LONG"            // a record longer than the reader's limit
	RejectBadEncoding      = "BAD_ENCODING"             // bytes that are not text in the sniffed encoding
	RepairedExtraDelimiter = "REPAIRED_EXTRA_DELIMITER" // an unquoted delimiter inside a field, merged back
)

// ErrNoData means the input holds no data rows at all (empty or header only).
var ErrNoData = errors.New("no data rows")

// ErrUnsupported means the input is not a file format listwash reads
// (binary, image, PDF...). Retrying will not help.
var ErrUnsupported = errors.New("unsupported file format")

// ParseError is a file-level read error with a position. It never carries
// cell values: error strings end up in logs and ledgers.
type ParseError struct {
	File   string
	Line   int64 // 1-based; 0 if unknown
	Column int   // 1-based; 0 if unknown
	Err    error
}

func (e *ParseError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Column, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	default:
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
}

func (e *ParseError) Unwrap() error { return e.Err }

// RepairedEncoding marks a record of a file read as UTF-8 whose bytes were
// not valid UTF-8: the invalid bytes were decoded as Windows-1252 (the usual
// cause is a Windows-1252 export appended to a UTF-8 one). Raw holds the
// repaired text.
const RepairedEncoding = "REPAIRED_ENCODING"
