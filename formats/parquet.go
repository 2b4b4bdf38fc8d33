package formats

import (
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// DefaultRowGroupRows bounds a row group so memory does not grow with the
// file: parquet-go buffers a whole row group before it flushes.
const DefaultRowGroupRows = 128 * 1024

// rowSchema is the file schema, with the encodings from Row's tags.
var rowSchema = parquet.SchemaOf(Row{})

// rowCodec is shared by every RowWriter: the codec pools its encoders, so
// a goroutine writing part after part reuses one encoder instead of
// allocating new match tables per file.
var rowCodec = &zstd.Codec{Level: zstd.SpeedFastest, Concurrency: 1}

// skipStringBounds leaves the column index of every string column without
// min/max bounds: computing them was a quarter of the writer's CPU time,
// nobody filters these files by string ranges, and the bounds copied
// personal data (names, numbers, addresses) into the footer. Numeric and
// boolean columns keep theirs (source_line ranges stay usable).
var skipStringBounds = func() []parquet.WriterOption {
	var opts []parquet.WriterOption
	for _, path := range parquet.SchemaOf(Row{}).Columns() {
		leaf, _ := parquet.SchemaOf(Row{}).Lookup(path...)
		if leaf.Node.Type().Kind() == parquet.ByteArray {
			opts = append(opts, parquet.SkipPageBounds(path...))
		}
	}
	return opts
}()

// RowWriter writes washed rows to one Parquet file (zstd, bounded row
// groups). It is not safe for concurrent use: run one per goroutine and
// per part file to spread encoding over the cores.
//
// Rows go to parquet-go as rowParquet (see there), copied in batches of
// at most rowBatch, so that the nullable marks are written in runs
// instead of a column-buffer call per row and mark (that cut 1,750 of
// 20,370 instructions per row).
//
// Where the CPU goes (BenchmarkRowWriter, valgrind instructions per row,
// 18,600 in all): zstd 60% (11,200), dictionary look-ups 16% (2,900: a
// map look-up per value of the 16 dict columns), copying strings into
// column buffers 11% (2,100), the marks and their conversion 4% (780),
// the three lists 2% (360), the rest parquet-go's per-call and per-page
// work (level histograms, delta encoding). Other zstd settings trade
// file size for CPU, none is free: no entropy coding of literals -7%
// instructions for +24% bytes, 128 KiB pages -3% for +8%; entropy coding
// of all literals (WithAllLitEntropyCompression) +2.4% for -9%.
type RowWriter struct {
	w         *parquet.GenericWriter[rowParquet]
	buf       []rowParquet
	ref       *parquet.GenericWriter[Row] // when rowParquetLayout != nil
	groupRows int64
	rows      int64
}

// NewRowWriter returns a writer of rows to w. rowGroupRows <= 0 means
// DefaultRowGroupRows. meta is written into the file footer (run id,
// code version: never personal data).
func NewRowWriter(w io.Writer, rowGroupRows int64, meta map[string]string) *RowWriter {
	return newRowWriter(w, rowGroupRows, meta, rowParquetLayout == nil)
}

// newRowWriter writes through rowParquet if viaRowParquet, else Row as
// it is (the reference the tests compare with).
func newRowWriter(w io.Writer, rowGroupRows int64, meta map[string]string, viaRowParquet bool) *RowWriter {
	if rowGroupRows <= 0 {
		rowGroupRows = DefaultRowGroupRows
	}
	opts := []parquet.WriterOption{
		rowSchema,
		parquet.Compression(rowCodec),
		parquet.MaxRowsPerRowGroup(rowGroupRows),
		parquet.DataPageStatistics(false),
		parquet.CreatedBy("listwash", "", ""),
	}
	opts = append(opts, skipStringBounds...)
	for k, v := range meta {
		opts = append(opts, parquet.KeyValueMetadata(k, v))
	}
	if !viaRowParquet {
		return &RowWriter{ref: parquet.NewGenericWriter[Row](w, opts...)}
	}
	return &RowWriter{w: parquet.NewGenericWriter[rowParquet](w, opts...), buf: make([]rowParquet, rowBatch), groupRows: rowGroupRows}
}

// Write appends rows.
func (w *RowWriter) Write(rows []Row) error {
	if w.ref != nil {
		n, err := w.ref.Write(rows)
		w.rows += int64(n)
		if err != nil {
			return fmt.Errorf("write parquet rows: %w", err)
		}
		return nil
	}
	for len(rows) > 0 {
		// A batch does not cross a row group: parquet-go would split it.
		n := int(min(int64(len(rows)), rowBatch, w.groupRows-w.rows%w.groupRows))
		var marks marksSet
		for i := range n {
			w.buf[i].set(&rows[i], &marks, i)
		}
		n = safeRows(&marks, n)
		written, err := w.w.Write(w.buf[:n])
		w.rows += int64(written)
		if err != nil {
			return fmt.Errorf("write parquet rows: %w", err)
		}
		rows = rows[n:]
	}
	return nil
}

// Rows reports how many rows were written so far.
func (w *RowWriter) Rows() int64 { return w.rows }

// Close flushes the last row group and writes the footer. A file is only
// valid when Close returned nil.
func (w *RowWriter) Close() error {
	clear(w.buf) // the copies refer to the caller's strings
	var err error
	if w.ref != nil {
		err = w.ref.Close()
	} else {
		err = w.w.Close()
	}
	if err != nil {
		return fmt.Errorf("close parquet writer: %w", err)
	}
	return nil
}
