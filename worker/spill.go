package worker

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync/atomic"

	"github.com/klauspost/compress/s2"

	"github.com/listwash/listwash/formats"
)

// rowSpill keeps the rows washed by the reading pass of a planned wash in
// local temp files, so that the writing pass applies the plan without
// reading, parsing, normalising and suppressing the input a second time.
// Each pipeline goroutine appends whole batches (frames) to a file of its
// own; the files are removed when the wash ends.
//
// Frame: uvarint length, then uvarint batch sequence, uvarint row count
// shifted left by one with the low bit set when the rows are packed, and
// the rows in formats' spill encoding, packed as one S2 block once the
// spill has passed packAfter bytes (see packFrame).
type rowSpill struct {
	files []*spillFile
	bytes atomic.Int64 // written
}

type spillFile struct {
	f   *os.File
	w   *bufio.Writer
	buf []byte
	raw []byte // the batch's rows before compression
}

const spillBufSize = 1 << 20

// newRowSpill creates one temp file per goroutine in dir ("" for the
// system's temp dir, $TMPDIR).
func newRowSpill(dir string, workers int) (*rowSpill, error) {
	s := &rowSpill{}
	for range workers {
		f, err := os.CreateTemp(dir, spillPattern("spill"))
		if err != nil {
			s.remove()
			return nil, fmt.Errorf("spill: %w", err)
		}
		s.files = append(s.files, &spillFile{f: f, w: bufio.NewWriterSize(f, spillBufSize)})
	}
	return s, nil
}

// sink is the reading pass's SinkFunc: it appends the batch to worker w's
// file.
func (s *rowSpill) sink(_ context.Context, w int, b *Batch) error {
	sf := s.files[w]
	if s.bytes.Load() < packAfter {
		sf.buf = appendRows(frameHead(sf.buf[:0], b.Seq, len(b.Rows), false), b)
	} else {
		sf.raw = appendRows(sf.raw[:0], b)
		sf.buf = packFrame(sf.buf[:0], b.Seq, len(b.Rows), sf.raw)
	}
	n, err := writeFrame(sf.w, sf.buf)
	if err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	s.bytes.Add(int64(n))
	return nil
}

// appendRows appends b's rows in the spill encoding.
func appendRows(dst []byte, b *Batch) []byte {
	for i := range b.Rows {
		dst = formats.AppendRowBinary(dst, &b.Records[i], &b.Rows[i])
	}
	return dst
}

// packAfter is the spill size from which frames are packed. Washed rows
// are text with much repetition (raw and normalised values, reason
// codes, constant columns): S2 at its default level, on the pipeline's
// goroutines, makes them about 2.7 times smaller for about 1.3 CPU
// seconds per million rows. A small spill stays in the page cache and
// is cheap to write; past a GB or so the kernel's write-back makes
// every further byte dearer (on the development machine, writing 1 GB
// cost 0.34 s of system time, 4 GB 14 s). At 10M rows packing took the
// wash's system time from 19-26 s to 9-12 s for as much more user time,
// and its temp files from 3.7 to 2.1 GB.
var packAfter int64 = 1 << 30 // a variable for tests

// frameHead appends a frame's header: the batch's sequence, and its row
// count shifted left by one, the low bit saying whether rows are packed.
func frameHead(dst []byte, seq int64, n int, packed bool) []byte {
	v := uint64(n) << 1
	if packed {
		v |= 1
	}
	return binary.AppendUvarint(binary.AppendUvarint(dst, uint64(seq)), v)
}

// packFrame appends the body of a packed frame: its header, then rows
// (appendRows) compressed as one S2 block.
func packFrame(dst []byte, seq int64, n int, rows []byte) []byte {
	dst = frameHead(dst, seq, n, true)
	need := s2.MaxEncodedLen(len(rows)) // a batch is far below S2's 4 GiB limit
	dst = slices.Grow(dst, need)
	out := s2.Encode(dst[len(dst):len(dst)+need], rows)
	return dst[:len(dst)+len(out)]
}

// writeFrame writes body with its length prefix and returns the bytes
// written.
func writeFrame(w io.Writer, body []byte) (int, error) {
	var head [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(head[:], uint64(len(body)))
	if _, err := w.Write(head[:n]); err != nil {
		return 0, err
	}
	if _, err := w.Write(body); err != nil {
		return 0, err
	}
	return n + len(body), nil
}

// readFrame reads one length-prefixed frame into a fresh buffer (the
// decoded strings point into it); io.EOF at a clean end.
func readFrame(r *bufio.Reader) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	if err != nil || n > 1<<32 {
		return nil, fmt.Errorf("read frame: %w", errors.Join(err, formats.ErrCorruptSpill))
	}
	frame := make([]byte, n)
	if _, err := io.ReadFull(r, frame); err != nil {
		return nil, fmt.Errorf("read frame: %w", errors.Join(err, formats.ErrCorruptSpill))
	}
	return frame, nil
}

// remove closes and deletes the files.
func (s *rowSpill) remove() {
	for _, sf := range s.files {
		sf.f.Close()
		os.Remove(sf.f.Name())
	}
	s.files = nil
}

// replay runs stages over every spilled batch, in the order of the
// reading pass, and hands the batches to sink, counting records in c.
// BytesRead advances in proportion to the spill read, scaled to
// inputSize, for progress.
func (s *rowSpill) replay(ctx context.Context, stages []Stage, sink SinkFunc, workers int, c *Counters, inputSize int64) error {
	src := &spillSource{total: s.bytes.Load(), inputSize: inputSize}
	for _, sf := range s.files {
		if err := sf.w.Flush(); err != nil {
			return fmt.Errorf("spill: %w", err)
		}
		if _, err := sf.f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("spill: %w", err)
		}
		src.files = append(src.files, &spillReader{r: bufio.NewReaderSize(sf.f, spillBufSize)})
	}
	for _, f := range src.files {
		if err := src.advance(f); err != nil {
			return err
		}
	}
	p := &pass{source: src, stages: append([]Stage{spillDecode{}}, stages...), sink: sink,
		workers: workers, counters: c}
	return p.run(ctx)
}

// spillSource merges the spill files by batch sequence: each file holds
// its goroutine's batches in increasing order.
type spillSource struct {
	files     []*spillReader
	read      int64
	total     int64
	inputSize int64
}

type spillReader struct {
	r      *bufio.Reader
	frame  []byte // the rows of the next frame; nil at the end
	seq    uint64
	n      uint64
	packed bool
}

// advance reads f's next frame and its header.
func (s *spillSource) advance(f *spillReader) error {
	f.frame = nil
	frame, err := readFrame(f.r)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	s.read += int64(len(frame))
	var d formats.RowDecoder
	d.Reset(frame)
	f.seq, f.n = d.Uvarint(), d.Uvarint()
	f.n, f.packed = f.n>>1, f.n&1 != 0
	if !d.More() && f.n > 0 {
		return fmt.Errorf("spill: read frame: %w", formats.ErrCorruptSpill)
	}
	f.frame = frame[d.Pos():]
	return nil
}

func (s *spillSource) next(b *Batch) (int, error) {
	var first *spillReader
	for _, f := range s.files {
		if f.frame != nil && (first == nil || f.seq < first.seq) {
			first = f
		}
	}
	if first == nil {
		return 0, io.EOF
	}
	if first.seq != uint64(b.Seq) {
		return 0, fmt.Errorf("spill: batch %d missing (next is %d)", b.Seq, first.seq)
	}
	n := int(first.n)
	b.frame, b.frameRows, b.packed = first.frame, n, first.packed
	return n, s.advance(first)
}

func (s *spillSource) bytesRead() int64 {
	if s.total == 0 {
		return s.inputSize
	}
	return s.inputSize * s.read / s.total
}

// spillDecode is the writing pass's first stage: it decodes a batch's
// frame into its records and rows, on every core.
type spillDecode struct{}

func (spillDecode) Name() string { return "spill.decode" }

func (spillDecode) Process(_ context.Context, b *Batch) error {
	if b.frame == nil {
		return nil
	}
	rows, n := b.frame, b.frameRows
	if b.packed {
		var err error
		if rows, err = s2.Decode(nil, rows); err != nil {
			return fmt.Errorf("spill: %w (%w)", formats.ErrCorruptSpill, err)
		}
	}
	if n > len(rows) {
		return fmt.Errorf("spill: %w", formats.ErrCorruptSpill)
	}
	var d formats.RowDecoder
	d.Reset(rows)
	b.frame, b.frameRows, b.packed = nil, 0, false
	b.Records = b.Records[:0]
	b.Rows = b.Rows[:0]
	for range n {
		b.Records = append(b.Records, formats.Record{})
		if k := len(b.Rows); k < cap(b.Rows) {
			b.Rows = b.Rows[:k+1]
		} else {
			b.Rows = append(b.Rows, formats.Row{})
		}
		k := len(b.Rows) - 1
		if err := d.Decode(&b.Records[k], &b.Rows[k]); err != nil {
			return fmt.Errorf("spill: row %d of the batch: %w", k, err)
		}
	}
	if d.More() {
		return fmt.Errorf("spill: %w (bytes after the last row)", formats.ErrCorruptSpill)
	}
	return nil
}
