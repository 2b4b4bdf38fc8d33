package formats

import (
	"encoding/csv"
	"io"
	"strconv"
)

// RejectsWriter writes rejects.csv: UTF-8 CSV with the header
// source_line,reason,message,raw. Cells that a spreadsheet would run as a
// formula (starting with = + - @ tab or CR) get a leading apostrophe.
type RejectsWriter struct {
	w      *csv.Writer
	header bool
	cells  [4]string
}

// NewRejectsWriter returns a writer on w. Close flushes; it does not close w.
func NewRejectsWriter(w io.Writer) *RejectsWriter {
	return &RejectsWriter{w: csv.NewWriter(w)}
}

// Write writes one record. The reason is rec.Reject, or rec.Repair when the
// record was repaired rather than rejected.
func (w *RejectsWriter) Write(rec *Record) error {
	if !w.header {
		w.header = true
		if err := w.w.Write([]string{"source_line", "reason", "message", "raw"}); err != nil {
			return err
		}
	}
	reason := rec.Reject
	if reason == "" {
		reason = rec.Repair
	}
	w.cells = [4]string{
		strconv.FormatInt(rec.Line, 10),
		neutralise(reason),
		neutralise(rec.Message),
		neutralise(rec.Raw),
	}
	return w.w.Write(w.cells[:])
}

// Close writes the header if nothing was written and flushes.
func (w *RejectsWriter) Close() error {
	if !w.header {
		w.header = true
		if err := w.w.Write([]string{"source_line", "reason", "message", "raw"}); err != nil {
			return err
		}
	}
	w.w.Flush()
	return w.w.Error()
}

// neutralise defuses CSV formula injection.
func neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
