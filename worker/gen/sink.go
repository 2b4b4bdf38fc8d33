package gen

import (
	"bufio"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

// sink writes delivery rows and reports how many physical lines (CSV) or
// sheet rows (XLSX) each took.
type sink interface {
	header(names [numCols]string) error
	write(w *row) (lines int64, err error)
	close() error
}

// countWriter counts bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// csvSink writes delimited text, quoting like encoding/csv except where a
// defect asks for a raw field.
type csvSink struct {
	cnt    *countWriter
	gz     *gzip.Writer
	bw     *bufio.Writer
	delim  byte
	eol    string
	cp1252 bool
	bom    bool
	order  [numCols]int
	quote  [256]bool // bytes that force quoting
	buf    []byte
	enc    []byte
}

func newCSVSink(w io.Writer, cfg Config, order [numCols]int) *csvSink {
	s := &csvSink{cnt: &countWriter{w: w}, delim: cfg.Delimiter, eol: "\n", order: order,
		cp1252: cfg.Encoding == EncodingWindows1252, bom: cfg.Encoding == EncodingUTF8BOM}
	if cfg.CRLF {
		s.eol = "\r\n"
	}
	for _, c := range []byte{cfg.Delimiter, '"', '\n', '\r'} {
		s.quote[c] = true
	}
	var out io.Writer = s.cnt
	if cfg.Gzip {
		s.gz = gzip.NewWriter(s.cnt)
		out = s.gz
	}
	s.bw = bufio.NewWriterSize(out, 1<<20)
	return s
}

func (s *csvSink) header(names [numCols]string) error {
	if s.bom {
		s.bw.WriteString("\ufeff")
	}
	var w row
	for i, n := range names {
		w.f[i] = append(w.f[i], n...)
	}
	w.n = numCols
	_, err := s.write(&w)
	return err
}

func (s *csvSink) write(w *row) (int64, error) {
	b := s.buf[:0]
	lines := int64(1)
	for i := 0; i < w.n; i++ {
		if i > 0 {
			b = append(b, s.delim)
		}
		c := s.order[i]
		f := w.f[c]
		if w.raw[c] || !s.needsQuote(f) {
			b = append(b, f...)
			continue
		}
		b = append(b, '"')
		for _, ch := range f {
			switch ch {
			case '"':
				b = append(b, '"', '"')
			case '\n':
				lines++
				b = append(b, ch)
			default:
				b = append(b, ch)
			}
		}
		b = append(b, '"')
	}
	b = append(b, s.eol...)
	s.buf = b
	if s.cp1252 {
		b = s.encode(b)
	}
	_, err := s.bw.Write(b)
	return lines, err
}

func (s *csvSink) needsQuote(f []byte) bool {
	for _, c := range f {
		if s.quote[c] {
			return true
		}
	}
	return len(f) > 0 && f[0] == ' '
}

// encode transcodes UTF-8 to Windows-1252; every generated character
// exists there.
func (s *csvSink) encode(b []byte) []byte {
	e := s.enc[:0]
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			e = append(e, b[i])
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		i += n
		c, ok := charmap.Windows1252.EncodeRune(r)
		if !ok {
			c = '?'
		}
		e = append(e, c)
	}
	s.enc = e
	return e
}

func (s *csvSink) close() error {
	if err := s.bw.Flush(); err != nil {
		return fmt.Errorf("write delivery: %w", err)
	}
	if s.gz != nil {
		if err := s.gz.Close(); err != nil {
			return fmt.Errorf("compress delivery: %w", err)
		}
	}
	return nil
}

// xlsxSink writes one sheet through excelize's stream writer.
type xlsxSink struct {
	out   *countWriter
	f     *excelize.File
	sw    *excelize.StreamWriter
	order [numCols]int
	next  int
	cells []any
}

func newXLSXSink(w io.Writer, order [numCols]int) (*xlsxSink, error) {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return nil, fmt.Errorf("xlsx stream: %w", err)
	}
	return &xlsxSink{out: &countWriter{w: w}, f: f, sw: sw, order: order, next: 1, cells: make([]any, numCols)}, nil
}

func (s *xlsxSink) header(names [numCols]string) error {
	var w row
	for i, n := range names {
		w.f[i] = append(w.f[i], n...)
	}
	w.n = numCols
	_, err := s.write(&w)
	return err
}

func (s *xlsxSink) write(w *row) (int64, error) {
	cells := s.cells[:w.n]
	for i := range cells {
		cells[i] = string(w.f[s.order[i]])
	}
	cell, err := excelize.CoordinatesToCellName(1, s.next)
	if err != nil {
		return 0, err
	}
	s.next++
	if err := s.sw.SetRow(cell, cells); err != nil {
		return 0, fmt.Errorf("xlsx row: %w", err)
	}
	return 1, nil
}

func (s *xlsxSink) close() error {
	if err := s.sw.Flush(); err != nil {
		return fmt.Errorf("xlsx flush: %w", err)
	}
	if err := s.f.Write(s.out); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return s.f.Close()
}
