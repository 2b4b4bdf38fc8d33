package dedup

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// The plan of a distributed run is made once and applied by several
// tasks, one per chunk of the input: WriteResults writes the results of a
// range of source lines, ReadResults loads them into a Deduper that can
// Apply them. 16 bytes a row, after a version line and a count.
const resultsMagic = "listwash-dedup-results-v1\n"

// ErrCorruptResults: a results file is truncated, of another version or
// not in line order.
var ErrCorruptResults = errors.New("dedup: corrupt results file")

const resultBytes = 16

// WriteResults writes the plan of the rows whose source lines are in
// [from, to), in line order, and returns how many it wrote.
func (d *Deduper) WriteResults(w io.Writer, from, to int64) (int, error) {
	if !d.planned {
		return 0, ErrNotPlanned
	}
	lo := uint32(max(from, 0))
	hi := uint32(min(max(to, 0), 1<<32-1))
	var sel []int
	if d.byLine == nil {
		i, _ := slices.BinarySearchFunc(d.res, lo, func(r result, l uint32) int { return cmpU32(r.line, l) })
		for ; i < len(d.res) && d.res[i].line < hi; i++ {
			sel = append(sel, i)
		}
	} else {
		k, _ := slices.BinarySearchFunc(d.byLine, lo, func(i, l uint32) int { return cmpU32(d.res[i].line, l) })
		for ; k < len(d.byLine) && d.res[d.byLine[k]].line < hi; k++ {
			sel = append(sel, int(d.byLine[k]))
		}
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(resultsMagic)
	var b [resultBytes]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(len(sel)))
	bw.Write(b[:8])
	for _, i := range sel {
		r := &d.res[i]
		binary.LittleEndian.PutUint32(b[0:], r.line)
		binary.LittleEndian.PutUint32(b[4:], r.dup)
		binary.LittleEndian.PutUint32(b[8:], r.hh)
		binary.LittleEndian.PutUint16(b[12:], r.score)
		b[14] = 0
		if r.exact {
			b[14] = 1
		}
		b[15] = 0
		bw.Write(b[:])
	}
	if err := bw.Flush(); err != nil {
		return 0, fmt.Errorf("write dedup results: %w", err)
	}
	return len(sel), nil
}

// ReadResults loads results written by WriteResults into a Deduper that
// only applies them: Apply marks the rows of those lines; Observe and Plan
// return ErrPlanned; Stats is zero (the plan's maker has them).
func ReadResults(r io.Reader) (*Deduper, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head := make([]byte, len(resultsMagic)+8)
	if _, err := io.ReadFull(br, head); err != nil || string(head[:len(resultsMagic)]) != resultsMagic {
		return nil, fmt.Errorf("%w: no results header", ErrCorruptResults)
	}
	n := binary.LittleEndian.Uint64(head[len(resultsMagic):])
	if n > 1<<32 {
		return nil, fmt.Errorf("%w: %d results", ErrCorruptResults, n)
	}
	res := make([]result, 0, min(n, 1<<20))
	var b [resultBytes]byte
	for i := uint64(0); i < n; i++ {
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return nil, fmt.Errorf("%w: %d of %d results: %w", ErrCorruptResults, i, n, err)
		}
		x := result{line: binary.LittleEndian.Uint32(b[0:]), dup: binary.LittleEndian.Uint32(b[4:]),
			hh: binary.LittleEndian.Uint32(b[8:]), score: binary.LittleEndian.Uint16(b[12:]), exact: b[14] == 1}
		if b[14] > 1 || b[15] != 0 || (len(res) > 0 && x.line <= res[len(res)-1].line) {
			return nil, fmt.Errorf("%w: result %d", ErrCorruptResults, i)
		}
		res = append(res, x)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("%w: bytes after %d results", ErrCorruptResults, n)
	}
	d := New(Config{})
	d.planned, d.res = true, res
	return d, nil
}
