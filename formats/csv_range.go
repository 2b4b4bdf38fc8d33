package formats

import (
	"bufio"
	"fmt"
	"io"
)

// Dialect is how a delimited file was read: what a reader of a byte range
// of it, which has no header and too few bytes to sniff, must be told.
// It holds header names, never data.
type Dialect struct {
	Encoding  string   `json:"encoding"`  // Info.Encoding: utf-8, utf-8-bom, windows-1252
	Delimiter string   `json:"delimiter"` // Info.Delimiter
	LineEnds  string   `json:"line_ends"` // Info.LineEnds: crlf, lf, cr
	Header    []string `json:"header"`    // Reader.Header(): column names, or column_N without a header row
}

// ErrNotSplittable: the input cannot be read in byte ranges (gzip, XLSX,
// UTF-16: its offsets are not those of the stored bytes).
var ErrNotSplittable = fmt.Errorf("input cannot be read in byte ranges: %w", ErrUnsupported)

// DialectOf returns the dialect of a reader Open returned, if its input
// can be read in byte ranges: uncompressed delimited text in UTF-8 or
// Windows-1252. Then RecordStart gives the byte offset of every record.
func DialectOf(r Reader) (Dialect, error) {
	c, ok := r.(*csvReader)
	if !ok || c.in.gz != nil || c.in.encoding != "" {
		return Dialect{}, ErrNotSplittable
	}
	return Dialect{Encoding: c.info.Encoding, Delimiter: c.info.Delimiter, LineEnds: c.info.LineEnds,
		Header: append([]string(nil), c.header...)}, nil
}

// RecordStart returns the byte offset in the input of the first line of
// the record the last Read returned. A reader opened at that offset with
// OpenRange reads the same records from there on, with the same line
// numbers. Meaningful only where DialectOf succeeds; false otherwise.
func RecordStart(r Reader) (int64, bool) {
	c, ok := r.(*csvReader)
	if !ok || c.in.gz != nil || c.in.encoding != "" {
		return 0, false
	}
	return c.recOff, true
}

// OpenRange returns a reader of a byte range of a delimited file, cut at
// record starts (RecordStart): r holds the range's bytes only, firstLine
// is the line number of its first line. It reads exactly as the reader of
// the whole file would: same dialect, same header mapping (opts.Profile),
// same line numbers. A record that looks past the range's end for a
// closing quote sees the end of input there.
func OpenRange(r io.Reader, d Dialect, firstLine int64, opts Options) (Reader, error) {
	if opts.Name == "" {
		opts.Name = "input"
	}
	if opts.MaxRecordBytes <= 0 {
		opts.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if firstLine < 1 {
		return nil, fmt.Errorf("open range %s: first line %d", opts.Name, firstLine)
	}
	cr := &countingReader{r: r}
	in := &inputState{opts: opts, counter: cr, src: bufio.NewReaderSize(cr, bufSize)}
	c := &csvReader{in: in, src: in.src, max: opts.MaxRecordBytes, line: firstLine - 1, endLine: firstLine - 1}
	switch d.Encoding {
	case "utf-8", "utf-8-bom":
		c.enc = encUTF8
	case "windows-1252":
		c.enc = encWindows1252
	default:
		return nil, fmt.Errorf("open range %s: encoding %q: %w", opts.Name, d.Encoding, ErrNotSplittable)
	}
	delim, ok := parseDelimiter(d.Delimiter)
	if !ok {
		return nil, fmt.Errorf("open range %s: delimiter %q: %w", opts.Name, d.Delimiter, ErrUnsupported)
	}
	c.delim, c.delimStr = delim, d.Delimiter
	switch d.LineEnds {
	case "crlf", "lf":
		c.eol = '\n'
	case "cr":
		c.eol = '\r'
	default:
		return nil, fmt.Errorf("open range %s: line ends %q: %w", opts.Name, d.LineEnds, ErrUnsupported)
	}
	if len(d.Header) == 0 {
		return nil, fmt.Errorf("open range %s: no header: %w", opts.Name, ErrUnsupported)
	}
	c.header = append([]string(nil), d.Header...)
	c.ncol = len(c.header)
	c.info = Info{Format: "csv", Encoding: d.Encoding, Delimiter: d.Delimiter, LineEnds: d.LineEnds, Columns: c.ncol}
	c.mapping = MapHeader(c.header, opts.Profile)
	return c, nil
}
