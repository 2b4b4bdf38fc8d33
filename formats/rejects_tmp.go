package formats

// Temporary stand-in until the rejects writer lands from the formats branch.

import (
	"encoding/csv"
	"io"
	"strconv"
)

type RejectsWriter struct {
	w      *csv.Writer
	header bool
}

func NewRejectsWriter(w io.Writer) *RejectsWriter { return &RejectsWriter{w: csv.NewWriter(w)} }

func (r *RejectsWriter) Write(rec *Record) error {
	if !r.header {
		r.header = true
		r.w.Write([]string{"source_line", "reason", "message", "raw"})
	}
	return r.w.Write([]string{strconv.FormatInt(rec.Line, 10), rec.Reject, rec.Message, rec.Raw})
}

func (r *RejectsWriter) Close() error { r.w.Flush(); return r.w.Error() }
