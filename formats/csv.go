package formats

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxQuotedLines bounds how many lines after the first a quoted field may
// span (a multi-line address), so an unclosed quote cannot swallow the file.
const maxQuotedLines = 8

// rawPrefixBytes bounds Record.Raw of a record rejected as too long.
const rawPrefixBytes = 1024

// csvReader reads delimited text. The reading rules, in order:
//
//   - Lines end in LF, CRLF or (classic Mac) CR, sniffed from the start of
//     the file. Line numbers count physical lines, the header is line 1.
//   - Blank lines (nothing but spaces, tabs and delimiters) are skipped but
//     counted.
//   - A field that starts with a double quote is quoted: "" is one quote,
//     the field ends at a quote followed by the delimiter or the end of the
//     record, and any other quote inside it is kept. A quote inside an
//     unquoted field (Ann"a) is data.
//   - A quoted field still open at the end of its line may continue on the
//     following lines (at most maxQuotedLines, at most MaxRecordBytes) only
//     if the quote closes there, no continuation line is a complete record
//     on its own (its field count equals the header's), and the joined
//     record has the header's field count or one strictly closer to it than
//     the first line read with the quote taken literally. Otherwise the
//     opening quote is taken literally and the next line is a record of its
//     own: an unclosed quote never swallows the lines after it.
//   - Encoding: a UTF-8 BOM means UTF-8; otherwise the first 64 KiB decide
//     between UTF-8 (valid) and Windows-1252 (not). A later line of a UTF-8
//     file that is not valid UTF-8 is not rejected and not mangled: its
//     invalid bytes are decoded as Windows-1252, valid sequences kept, and
//     the record gets Repair = RepairedEncoding with Raw set.
//   - Field count: see checkCount.
type csvReader struct {
	in       *inputState
	src      *bufio.Reader
	enc      textEncoding
	delim    byte
	delimStr string
	eol      byte
	max      int
	info     Info
	header   []string
	mapping  Mapping
	ncol     int

	line    int64   // physical lines read from src so far
	endLine int64   // last physical line of the last record returned
	pending []pline // lines read ahead while looking for a closing quote
	long    []byte  // a line longer than the bufio buffer
	dec     []byte  // decoded line
	first   []byte  // copy of the first line of a record with an open quote
	joined  []byte  // lines of a multi-line record, joined with '\n'
	p, q    fieldParser
	cuts    []int // delimiter offsets on the common path
	err     error // sticky: io.EOF or a *ParseError

	off    int64 // offset in src of the next physical line
	recOff int64 // offset in src of the first line of the last record returned
}

// pline is one physical line, decoded to UTF-8 without its terminator.
type pline struct {
	text    []byte
	num     int64
	off     int64 // offset of the line's first byte in the decoded source
	mixed   bool  // invalid UTF-8 decoded as Windows-1252
	tooLong bool  // longer than MaxRecordBytes; text holds a prefix
}

func openCSV(in *inputState) (Reader, error) {
	prefix, full, err := in.peekPrefix()
	if err != nil {
		return nil, err
	}
	p := in.opts.Profile
	r := &csvReader{in: in, src: in.src, max: in.opts.MaxRecordBytes}
	r.info = Info{Format: "csv", Compressed: in.compressed}

	switch {
	case in.encoding != "":
		r.enc, r.info.Encoding = encUTF8, in.encoding
	case bytes.HasPrefix(prefix, magicUTF8BOM):
		if _, err := in.src.Discard(len(magicUTF8BOM)); err != nil {
			return nil, in.readError(1, err)
		}
		prefix = prefix[len(magicUTF8BOM):]
		r.off = int64(len(magicUTF8BOM))
		r.enc, r.info.Encoding = encUTF8, "utf-8-bom"
	case p != nil && p.Encoding != "":
		r.enc, _ = parseEncoding(p.Encoding)
	default:
		r.enc = sniffEncoding(prefix, full)
	}
	if r.info.Encoding == "" {
		r.info.Encoding = "utf-8"
		if r.enc == encWindows1252 {
			r.info.Encoding = "windows-1252"
		}
	}
	r.eol, r.info.LineEnds = sniffLineEnd(prefix)
	if p != nil && p.Delimiter != "" {
		r.delim, _ = parseDelimiter(p.Delimiter)
	} else {
		r.delim = sniffDelimiter(prefix, r.eol, full)
	}
	r.delimStr = string(rune(r.delim))
	r.info.Delimiter = r.delimStr

	if err := r.readHeader(p == nil || p.HeaderRow()); err != nil {
		in.close()
		return nil, err
	}
	r.info.Columns = r.ncol
	r.mapping = MapHeader(r.header, p)
	return r, nil
}

// readHeader reads the first non-blank line as the header, or with
// hasHeader false uses it only to count columns and keeps it as data.
func (r *csvReader) readHeader(hasHeader bool) error {
	var ln pline
	for {
		var err error
		ln, err = r.nextLine()
		if err == io.EOF {
			return &ParseError{File: r.in.opts.Name, Err: fmt.Errorf("only blank lines: %w", ErrNoData)}
		}
		if err != nil {
			return err
		}
		if ln.tooLong {
			return &ParseError{File: r.in.opts.Name, Line: ln.num,
				Err: fmt.Errorf("first line longer than %d bytes: %w", r.max, ErrUnsupported)}
		}
		if !r.isBlank(ln.text) {
			break
		}
	}
	r.p.parse(ln.text, r.delim, true)
	r.ncol = len(r.p.ends)
	r.header = make([]string, r.ncol)
	if !hasHeader {
		for i := range r.header {
			r.header[i] = "column_" + strconv.Itoa(i+1)
		}
		ln.text = append([]byte(nil), ln.text...)
		r.pending = append(r.pending, ln)
		return nil
	}
	start := 0
	for i, e := range r.p.ends {
		r.header[i] = strings.TrimSpace(strings.TrimPrefix(string(r.p.buf[start:e]), "\ufeff"))
		start = e
	}
	r.endLine = ln.num
	return nil
}

func (r *csvReader) Header() []string { return r.header }
func (r *csvReader) Mapping() Mapping { return r.mapping }
func (r *csvReader) Info() Info       { return r.info }
func (r *csvReader) BytesRead() int64 { return r.in.counter.n.Load() }
func (r *csvReader) Close() error     { return r.in.close() }

// Read returns the next record; see csvReader for the rules.
func (r *csvReader) Read(rec *Record) error {
	for {
		ln, err := r.nextLine()
		if err != nil {
			return err
		}
		if ln.tooLong {
			r.recOff = ln.off
			r.tooLong(rec, ln)
			return nil
		}
		if r.isBlank(ln.text) {
			continue
		}
		r.recOff = ln.off
		r.parseRecord(ln, rec)
		return nil
	}
}

func (r *csvReader) tooLong(rec *Record, ln pline) {
	*rec = Record{
		Line:    ln.num,
		Fields:  rec.Fields[:0],
		Raw:     string(validPrefix(ln.text, rawPrefixBytes)),
		Reject:  RejectLineTooLong,
		Message: "line longer than " + strconv.Itoa(r.max) + " bytes",
	}
	r.endLine = ln.num
}

// isBlank reports whether b holds nothing but spaces, tabs and delimiters.
func (r *csvReader) isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != r.delim {
			return false
		}
	}
	return true
}

func (r *csvReader) parseRecord(ln pline, rec *Record) {
	rec.Line, rec.Raw, rec.Reject, rec.Message, rec.Repair = ln.num, "", "", "", ""
	r.endLine = ln.num
	if r.split(ln.text) {
		// Common path: one string per record, fields are substrings.
		line := string(ln.text)
		fields := rec.Fields[:0]
		start := 0
		for _, e := range r.cuts {
			fields = append(fields, line[start:e])
			start = e + 1
		}
		rec.Fields = append(fields, line[start:])
		if ln.mixed {
			rec.Repair, rec.Raw = RepairedEncoding, line
		}
		r.checkCount(rec, line, nil)
		return
	}
	if r.p.parse(ln.text, r.delim, false) {
		r.finish(rec, ln.text, ln.mixed)
		return
	}
	if r.multiLine(ln, rec) {
		return
	}
	r.p.parse(r.first, r.delim, true)
	r.finish(rec, r.first, ln.mixed)
}

// split records in r.cuts the offsets of the delimiters of text; it
// returns false if text holds a quote (the careful path). It looks at eight
// bytes at a time: most words of a record hold neither byte.
func (r *csvReader) split(text []byte) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	cuts := r.cuts[:0]
	d := r.delim
	dm, qm := lo*uint64(d), lo*uint64('"')
	i := 0
	for ; i+8 <= len(text); i += 8 {
		w := binary.LittleEndian.Uint64(text[i:])
		if y := w ^ qm; (y-lo)&^y&hi != 0 {
			return false
		}
		x := w ^ dm
		// Bit 8k+7 is set where byte k may equal d; the lowest is exact,
		// higher ones can be false positives, so each is checked.
		for m := (x - lo) &^ x & hi; m != 0; m &= m - 1 {
			if j := i + bits.TrailingZeros64(m)>>3; text[j] == d {
				cuts = append(cuts, j)
			}
		}
	}
	for ; i < len(text); i++ {
		switch text[i] {
		case d:
			cuts = append(cuts, i)
		case '"':
			return false
		}
	}
	r.cuts = cuts
	return true
}

// multiLine tries to read a quoted field that spans lines (see csvReader).
// On failure it leaves the lines it looked at for the next Read and r.first
// holding a copy of ln.text.
func (r *csvReader) multiLine(ln pline, rec *Record) bool {
	r.first = append(r.first[:0], ln.text...)
	literal := r.q.count(r.first, r.delim)
	r.joined = append(r.joined[:0], r.first...)
	mixed := ln.mixed
	for k := 0; k < maxQuotedLines; k++ {
		next, ok := r.peek(k)
		if !ok || next.tooLong {
			return false
		}
		if !r.isBlank(next.text) && r.q.count(next.text, r.delim) == r.ncol {
			return false // a record of its own: do not swallow it
		}
		if len(r.joined)+1+len(next.text) > r.max {
			return false
		}
		mixed = mixed || next.mixed
		r.joined = append(r.joined, '\n')
		r.joined = append(r.joined, next.text...)
		if !r.p.parse(r.joined, r.delim, false) {
			continue
		}
		if n := len(r.p.ends); n != r.ncol && abs(n-r.ncol) >= abs(literal-r.ncol) {
			return false
		}
		r.endLine = next.num
		r.finish(rec, r.joined, mixed)
		r.consume(k + 1)
		return true
	}
	return false
}

// finish builds rec.Fields from r.p: one string, fields as substrings.
func (r *csvReader) finish(rec *Record, text []byte, mixed bool) {
	s := string(r.p.buf)
	fields := rec.Fields[:0]
	start := 0
	for _, e := range r.p.ends {
		fields = append(fields, s[start:e])
		start = e
	}
	rec.Fields = fields
	if mixed {
		rec.Repair, rec.Raw = RepairedEncoding, string(text)
	}
	r.checkCount(rec, "", text)
}

// nextLine returns the next physical line, read ahead or from the source.
// Its text is valid until the next call.
func (r *csvReader) nextLine() (pline, error) {
	if len(r.pending) > 0 {
		ln := r.pending[0]
		r.consume(1)
		return ln, nil
	}
	return r.readPhysical()
}

// peek returns the k-th line after the current one, keeping a copy.
func (r *csvReader) peek(k int) (pline, bool) {
	for len(r.pending) <= k {
		ln, err := r.readPhysical()
		if err != nil {
			return pline{}, false // sticky: Read returns it when due
		}
		ln.text = append([]byte(nil), ln.text...)
		r.pending = append(r.pending, ln)
	}
	return r.pending[k], true
}

func (r *csvReader) consume(n int) {
	r.pending = r.pending[n:]
	if len(r.pending) == 0 {
		r.pending = nil
	}
}

// readPhysical reads one line from the source and decodes it.
func (r *csvReader) readPhysical() (pline, error) {
	if r.err != nil {
		return pline{}, r.err
	}
	b, err := r.src.ReadSlice(r.eol)
	start := r.off
	r.off += int64(len(b))
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], b...)
		for err == bufio.ErrBufferFull {
			b, err = r.src.ReadSlice(r.eol)
			r.off += int64(len(b))
			if len(r.long) <= r.max+1 {
				r.long = append(r.long, b...)
			}
		}
		b = r.long
	}
	if err != nil {
		if err != io.EOF {
			r.err = r.in.readError(r.line+1, err)
			return pline{}, r.err
		}
		if len(b) == 0 {
			r.err = io.EOF
			return pline{}, r.err
		}
	}
	r.line++
	if n := len(b); n > 0 && b[n-1] == r.eol {
		b = b[:n-1]
	}
	if n := len(b); r.eol == '\n' && n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	ln := pline{num: r.line, off: start}
	if len(b) > r.max {
		ln.tooLong = true
		b = b[:min(len(b), rawPrefixBytes)]
	}
	ln.text, ln.mixed = r.decode(b)
	return ln, nil
}

// decode returns b as UTF-8, without copying when it already is.
func (r *csvReader) decode(b []byte) ([]byte, bool) {
	if r.enc == encUTF8 {
		if utf8.Valid(b) {
			return b, false
		}
		r.dec = appendMixed(r.dec[:0], b)
		return r.dec, true
	}
	i := asciiPrefix(b)
	if i == len(b) {
		return b, false
	}
	r.dec = append(r.dec[:0], b[:i]...)
	r.dec = appendCP1252(r.dec, b[i:])
	return r.dec, false
}

// fieldParser splits a record's text into fields, unquoting them into buf;
// ends[i] is the end offset of field i in buf.
type fieldParser struct {
	buf  []byte
	ends []int
}

// parse splits text at d. A field starting with a quote is quoted (see
// csvReader). If a quoted field is still open at the end of text, parse
// returns false, unless lenient: then the opening quote is taken literally
// and the field runs to the next delimiter.
func (p *fieldParser) parse(text []byte, d byte, lenient bool) bool {
	p.buf, p.ends = p.buf[:0], p.ends[:0]
	pos := 0
	for {
		if pos < len(text) && text[pos] == '"' {
			mark := len(p.buf)
			next, closed := p.quoted(text, pos+1, d)
			if closed {
				p.ends = append(p.ends, len(p.buf))
				if next > len(text) {
					return true
				}
				pos = next
				continue
			}
			if !lenient {
				return false
			}
			p.buf = p.buf[:mark]
		}
		j := bytes.IndexByte(text[pos:], d)
		if j < 0 {
			p.buf = append(p.buf, text[pos:]...)
			p.ends = append(p.ends, len(p.buf))
			return true
		}
		p.buf = append(p.buf, text[pos:pos+j]...)
		p.ends = append(p.ends, len(p.buf))
		pos += j + 1
	}
}

// quoted appends the quoted field starting after its opening quote at i. It
// returns the offset of the next field (len(text)+1 at the end of the
// record) and whether the field was closed.
func (p *fieldParser) quoted(text []byte, i int, d byte) (int, bool) {
	for {
		j := bytes.IndexByte(text[i:], '"')
		if j < 0 {
			return 0, false
		}
		j += i
		p.buf = append(p.buf, text[i:j]...)
		switch {
		case j+1 == len(text):
			return len(text) + 1, true
		case text[j+1] == d:
			return j + 2, true
		case text[j+1] == '"':
			p.buf = append(p.buf, '"')
			i = j + 2
		default: // a stray quote inside a quoted field is data
			p.buf = append(p.buf, '"')
			i = j + 1
		}
	}
}

// count returns the number of fields of text read leniently.
func (p *fieldParser) count(text []byte, d byte) int {
	p.parse(text, d, true)
	return len(p.ends)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
