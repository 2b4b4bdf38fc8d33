package dedup

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/listwash/listwash/formats"
)

// The matching state of a row can be computed where the row is washed and
// observed elsewhere: the chunks of a distributed run encode their rows'
// state with an Encoder (on every core), and the merge feeds the encoded
// state to ObserveEncoded, without decoding or re-reading the rows. One
// row is its rec (native layout, as the spill files hold it) followed by
// its folded names: about 95 bytes, a quarter of a spilled row.

// EncodedMagic starts a file of encoded rows; it names the rec size, so a
// reader built with another layout refuses the file.
var EncodedMagic = "listwash-dedup-recs-v1 " + strconv.Itoa(recSize) + "\n"

// ErrCorruptEncoded: encoded state is truncated or of another layout.
var ErrCorruptEncoded = errors.New("dedup: corrupt encoded rows")

// Encoder computes the matching state of rows for ObserveEncoded. One
// goroutine uses an Encoder at a time.
type Encoder struct{ d *Deduper }

// NewEncoder returns an Encoder for a Deduper made with cfg.
func NewEncoder(cfg Config) *Encoder { return &Encoder{d: New(cfg)} }

// Append appends the encoded state of row to dst; a rejected row adds
// nothing, as Observe skips it.
func (e *Encoder) Append(dst []byte, row *formats.Row) ([]byte, error) {
	if row.Rejected {
		return dst, nil
	}
	if row.SourceLine < 0 || row.SourceLine > math.MaxUint32 {
		return dst, ErrLineTooLarge
	}
	var r rec
	names := e.d.fill(row, &r)
	dst = append(dst, recBytes(&r)...)
	return append(dst, names...), nil
}

// ObserveEncoded observes the rows Append encoded, read from r to its
// end, in order, exactly as Observe would have observed the rows
// themselves. It returns how many rows r held.
func (d *Deduper) ObserveEncoded(r io.Reader) (int, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 256<<10)
	}
	n := 0
	names, x := d.nameBuf[:], &d.cur
	for {
		if _, err := io.ReadFull(br, recBytes(x)); err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, fmt.Errorf("%w: after row %d: %w", ErrCorruptEncoded, n, err)
		}
		if x.flen > maxNameLen || x.llen > maxNameLen {
			return n, fmt.Errorf("%w: row %d", ErrCorruptEncoded, n)
		}
		nl := int(x.flen) + int(x.llen)
		if _, err := io.ReadFull(br, names[:nl]); err != nil {
			return n, fmt.Errorf("%w: row %d: %w", ErrCorruptEncoded, n, err)
		}
		if err := d.add(x, names[:nl]); err != nil {
			return n, err
		}
		n++
	}
}
