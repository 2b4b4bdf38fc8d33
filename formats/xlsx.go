package formats

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxReader streams the first sheet of a workbook. Record.Line is the
// sheet row number; empty rows are skipped. Cells beyond the header are kept
// (Fields is then longer than the header) since a sheet cannot misplace a
// delimiter; short rows are padded with "".
//
// Cells are read as stored, not as displayed: a number format such as
// General would show 198001011234 as 1.98001E+11 and lose digits. Stored
// numbers in scientific notation are written out in digits (plainNumber).
// The price is dates: they are stored as serial numbers, so a number in a
// column mapped to FieldConsentDate is converted to YYYY-MM-DD; a date in an
// unmapped column stays a serial number.
type xlsxReader struct {
	in      *inputState
	tmp     string
	f       *excelize.File
	rows    *excelize.Rows
	row     int64
	header  []string
	mapping Mapping
	info    Info
	done    bool

	pendingRow  []string // the first row of a headerless sheet
	pendingLine int64
}

// openXLSX spools the input to a temporary file (the zip directory is at
// its end, so excelize needs random access) and opens its first sheet.
func openXLSX(in *inputState) (Reader, error) {
	name := in.opts.Name
	tmp, err := os.CreateTemp("", "listwash-*.xlsx")
	if err != nil {
		in.close()
		return nil, fmt.Errorf("spool %s: %w", name, err)
	}
	r := &xlsxReader{in: in, tmp: tmp.Name(), info: Info{Format: "xlsx", Compressed: in.compressed}}
	_, err = io.Copy(tmp, in.src)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		r.Close()
		var pe *ParseError
		if errors.As(err, &pe) {
			return nil, err
		}
		return nil, in.readError(0, err)
	}
	r.f, err = excelize.OpenFile(r.tmp)
	if err != nil {
		r.Close()
		return nil, &ParseError{File: name, Err: fmt.Errorf("zip archive that is not a readable xlsx workbook: %w", ErrUnsupported)}
	}
	sheets := r.f.GetSheetList()
	if len(sheets) == 0 {
		r.Close()
		return nil, &ParseError{File: name, Err: fmt.Errorf("workbook without sheets: %w", ErrNoData)}
	}
	if r.rows, err = r.f.Rows(sheets[0]); err != nil {
		r.Close()
		return nil, &ParseError{File: name, Err: fmt.Errorf("read sheet: %w", err)}
	}
	hasHeader := in.opts.Profile.HeaderRow()
	for {
		cells, err := r.next()
		if err == io.EOF {
			r.Close()
			return nil, &ParseError{File: name, Err: fmt.Errorf("empty sheet: %w", ErrNoData)}
		}
		if err != nil {
			r.Close()
			return nil, err
		}
		if blankCells(cells) {
			continue
		}
		r.header = make([]string, len(cells))
		for i, c := range cells {
			if hasHeader {
				r.header[i] = strings.TrimSpace(c)
			} else {
				r.header[i] = "column_" + strconv.Itoa(i+1)
			}
		}
		if !hasHeader {
			r.pendingRow, r.pendingLine = cells, r.row
		}
		break
	}
	r.info.Columns = len(r.header)
	r.mapping = MapHeader(r.header, in.opts.Profile)
	return r, nil
}

// next returns the cells of the next sheet row.
func (r *xlsxReader) next() ([]string, error) {
	if r.done || !r.rows.Next() {
		r.done = true
		if err := r.rows.Error(); err != nil {
			return nil, &ParseError{File: r.in.opts.Name, Line: r.row + 1, Err: fmt.Errorf("read sheet: %w", err)}
		}
		return nil, io.EOF
	}
	r.row++
	cells, err := r.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, &ParseError{File: r.in.opts.Name, Line: r.row, Err: fmt.Errorf("read sheet row: %w", err)}
	}
	for i, c := range cells {
		cells[i] = plainNumber(c)
	}
	return cells, nil
}

func (r *xlsxReader) Read(rec *Record) error {
	if r.pendingRow != nil {
		cells, line := r.pendingRow, r.pendingLine
		r.pendingRow = nil
		r.fill(rec, cells, line)
		return nil
	}
	for {
		cells, err := r.next()
		if err != nil {
			return err
		}
		if blankCells(cells) {
			continue
		}
		r.fill(rec, cells, r.row)
		return nil
	}
}

func (r *xlsxReader) fill(rec *Record, cells []string, line int64) {
	for len(cells) < len(r.header) {
		cells = append(cells, "")
	}
	n := len(cells)
	for n > len(r.header) && strings.TrimSpace(cells[n-1]) == "" {
		n--
	}
	cells = cells[:n]
	for i, f := range r.mapping.Columns {
		if f == FieldConsentDate && i < len(cells) {
			cells[i] = serialDate(cells[i])
		}
	}
	*rec = Record{Line: line, Fields: cells}
}

// serialDate turns an Excel date serial number into YYYY-MM-DD; anything
// else passes through.
func serialDate(s string) string {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 1 || v > 2958465 {
		return s
	}
	t, err := excelize.ExcelDateToTime(v, false)
	if err != nil {
		return s
	}
	return t.Format("2006-01-02")
}

func (r *xlsxReader) Header() []string { return r.header }
func (r *xlsxReader) Mapping() Mapping { return r.mapping }
func (r *xlsxReader) Info() Info       { return r.info }
func (r *xlsxReader) BytesRead() int64 { return r.in.counter.n.Load() }

func (r *xlsxReader) Close() error {
	var errs []error
	if r.rows != nil {
		errs = append(errs, r.rows.Close())
		r.rows = nil
	}
	if r.f != nil {
		errs = append(errs, r.f.Close())
		r.f = nil
	}
	if r.tmp != "" {
		if err := os.Remove(r.tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
		r.tmp = ""
	}
	errs = append(errs, r.in.close())
	return errors.Join(errs...)
}

func blankCells(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// plainNumber turns a number shown in scientific notation ("7.01234567E+08",
// how a General cell shows a long number) back into its digits when it is a
// whole number Excel stores exactly (below 1e15). Other values pass through.
func plainNumber(s string) string {
	e := strings.IndexAny(s, "eE")
	if e <= 0 || e == len(s)-1 {
		return s
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9') && c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-' {
			return s
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) >= 1e15 {
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
