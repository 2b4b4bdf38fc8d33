package formats

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Options configure Open. The zero value sniffs everything.
type Options struct {
	// Name is the file name used in error messages; "input" if empty.
	Name string
	// Profile holds supplier settings (delimiter, encoding, column names);
	// nil sniffs everything and maps the header automatically.
	Profile *Profile
	// MaxRecordBytes bounds one record (one physical line, or a quoted
	// field spanning lines); 0 means 1 MiB. A longer line is returned as a
	// record with Reject = RejectLineTooLong and reading goes on.
	MaxRecordBytes int
}

// DefaultMaxRecordBytes is the record size limit when Options leave it 0.
const DefaultMaxRecordBytes = 1 << 20

const bufSize = 64 << 10

// Open detects the format of r and returns a Reader positioned after the
// header. It detects gzip by magic bytes (whatever the file name), XLSX by
// zip magic, and reads everything else as delimited text.
//
// Errors: ErrUnsupported (wrapped) for binary input such as PDF, images or
// archives; ErrNoData (wrapped) for an empty or whitespace-only input. A
// header-only file opens fine and its first Read returns io.EOF. Close
// releases what Open created (gzip state, temporary files); it does not
// close r.
func Open(r io.Reader, opts Options) (Reader, error) {
	if opts.Name == "" {
		opts.Name = "input"
	}
	if opts.MaxRecordBytes <= 0 {
		opts.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if p := opts.Profile; p != nil {
		if _, ok := parseDelimiter(p.Delimiter); p.Delimiter != "" && !ok {
			return nil, fmt.Errorf("open %s: %w: delimiter %q", opts.Name, ErrBadProfile, p.Delimiter)
		}
		if _, ok := parseEncoding(p.Encoding); p.Encoding != "" && !ok {
			return nil, fmt.Errorf("open %s: %w: encoding %q", opts.Name, ErrBadProfile, p.Encoding)
		}
	}
	cr := &countingReader{r: r}
	raw := bufio.NewReaderSize(cr, bufSize)
	in := inputState{opts: opts, counter: cr, src: raw}

	magic, err := raw.Peek(len(magicGzip))
	if err != nil && err != io.EOF {
		return nil, &ParseError{File: opts.Name, Err: fmt.Errorf("read: %w", err)}
	}
	if bytes.HasPrefix(magic, magicGzip) {
		gz, err := gzip.NewReader(raw)
		if err != nil {
			return nil, &ParseError{File: opts.Name, Err: gzipError(err)}
		}
		in.gz = gz
		in.compressed = "gzip"
		in.src = bufio.NewReaderSize(&stickyReader{r: gz}, bufSize)
	}
	prefix, _, err := in.peekPrefix()
	if err != nil {
		return nil, err
	}
	switch {
	case isBlankText(prefix):
		in.close()
		return nil, &ParseError{File: opts.Name, Err: fmt.Errorf("empty file: %w", ErrNoData)}
	case bytes.HasPrefix(prefix, magicUTF16LE), bytes.HasPrefix(prefix, magicUTF16BE):
		return in.openUTF16(prefix)
	case bytes.HasPrefix(prefix, magicZip):
		return openXLSX(&in)
	}
	if what := sniffBinary(prefix); what != "" {
		in.close()
		return nil, &ParseError{File: opts.Name, Err: fmt.Errorf("%s: %w", what, ErrUnsupported)}
	}
	return openCSV(&in)
}

// inputState is what Open has learned about the input so far.
type inputState struct {
	opts       Options
	counter    *countingReader
	gz         *gzip.Reader
	src        *bufio.Reader // decompressed, decoded from UTF-16 if needed
	compressed string
	encoding   string // set when Open already decoded the stream (utf-16)
}

// peekPrefix returns up to sniffSize bytes of the decompressed input and
// whether they are the whole input.
func (in *inputState) peekPrefix() ([]byte, bool, error) {
	prefix, err := in.src.Peek(sniffSize)
	switch {
	case err == nil:
		return prefix, false, nil
	case err == io.EOF:
		return prefix, true, nil
	case len(prefix) > 0:
		// The error comes back at the line where it happened.
		return prefix, false, nil
	default:
		in.close()
		return nil, false, in.readError(1, err)
	}
}

// openUTF16 re-reads a UTF-16 stream (Excel's "Unicode text") as UTF-8.
func (in *inputState) openUTF16(prefix []byte) (Reader, error) {
	in.encoding = "utf-16le"
	if bytes.HasPrefix(prefix, magicUTF16BE) {
		in.encoding = "utf-16be"
	}
	dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
	in.src = bufio.NewReaderSize(&stickyReader{r: transform.NewReader(in.src, dec)}, bufSize)
	prefix, _, err := in.peekPrefix()
	if err != nil {
		return nil, err
	}
	if isBlankText(prefix) {
		in.close()
		return nil, &ParseError{File: in.opts.Name, Err: fmt.Errorf("empty file: %w", ErrNoData)}
	}
	if what := sniffBinary(prefix); what != "" {
		in.close()
		return nil, &ParseError{File: in.opts.Name, Err: fmt.Errorf("%s: %w", what, ErrUnsupported)}
	}
	return openCSV(in)
}

// readError wraps an error of the underlying stream at a line.
func (in *inputState) readError(line int64, err error) error {
	if in.gz != nil {
		err = gzipError(err)
	} else {
		err = fmt.Errorf("read: %w", err)
	}
	return &ParseError{File: in.opts.Name, Line: line, Err: err}
}

func (in *inputState) close() error {
	if in.gz != nil {
		return in.gz.Close()
	}
	return nil
}

// gzipError names what went wrong in a gzip stream.
func gzipError(err error) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("truncated gzip stream: %w", err)
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		return fmt.Errorf("corrupt gzip stream: %w", err)
	default:
		return fmt.Errorf("read gzip stream: %w", err)
	}
}

// countingReader counts the bytes read from the raw input, for BytesRead.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// stickyReader keeps returning the first error of r, so a failure seen
// while sniffing comes back at the line where reading stops.
type stickyReader struct {
	r   io.Reader
	err error
}

func (s *stickyReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	s.err = err
	return n, err
}
