package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"runtime"
	"strings"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/errgroup"

	"github.com/listwash/listwash/formats"
)

// countedColumns are the columns the counts are computed from: the
// read-back check decodes only these, column by column, straight into the
// fields of a formats.Row that tally.count then counts (the one definition
// of every count). set stores one value of a row; for a list column it is
// called once per element.
var countedColumns = []countedColumn{
	{path: []string{"source_line"}, set: func(r *formats.Row, v parquet.Value) { r.SourceLine = v.Int64() }},
	{path: []string{"rejected"}, set: func(r *formats.Row, v parquet.Value) { r.Rejected = v.Boolean() }},
	{path: []string{"phone_raw"}, set: func(r *formats.Row, v parquet.Value) { r.PhoneRaw = pageString(v) }},
	{path: []string{"mobile_raw"}, set: func(r *formats.Row, v parquet.Value) { r.MobileRaw = pageString(v) }},
	{path: []string{"email_raw"}, set: func(r *formats.Row, v parquet.Value) { r.EmailRaw = pageString(v) }},
	{path: []string{"phones", "list", "element"}, set: func(r *formats.Row, v parquet.Value) { r.Phones = append(r.Phones, pageString(v)) }},
	{path: []string{"phone_valid"}, set: func(r *formats.Row, v parquet.Value) { r.PhoneValid = v.Boolean() }},
	{path: []string{"mobile_valid"}, set: func(r *formats.Row, v parquet.Value) { r.MobileValid = v.Boolean() }},
	{path: []string{"postal_valid"}, set: func(r *formats.Row, v parquet.Value) { r.PostalValid = v.Boolean() }},
	{path: []string{"pnr_valid"}, set: func(r *formats.Row, v parquet.Value) { r.PNRValid = v.Boolean() }},
	{path: []string{"email_valid"}, set: func(r *formats.Row, v parquet.Value) { r.EmailValid = v.Boolean() }},
	{path: []string{"nix_listed"}, set: func(r *formats.Row, v parquet.Value) { r.NIXListed = formats.Bool(v.Boolean()) }},
	{path: []string{"robinson"}, set: func(r *formats.Row, v parquet.Value) { r.Robinson = formats.Bool(v.Boolean()) }},
	{path: []string{"internal_dnc"}, set: func(r *formats.Row, v parquet.Value) { r.InternalDNC = formats.Bool(v.Boolean()) }},
	{path: []string{"deceased"}, set: func(r *formats.Row, v parquet.Value) { r.Deceased = formats.Bool(v.Boolean()) }},
	{path: []string{"erased"}, set: func(r *formats.Row, v parquet.Value) { r.Erased = formats.Bool(v.Boolean()) }},
	{path: []string{"moved"}, set: func(r *formats.Row, v parquet.Value) { r.Moved = formats.Bool(v.Boolean()) }},
	{path: []string{"phone_owner_match"}, set: func(r *formats.Row, v parquet.Value) { r.PhoneOwnerMatch = formats.Bool(v.Boolean()) }},
	{path: []string{"duplicate_of"}, set: func(r *formats.Row, v parquet.Value) { r.DuplicateOf = v.Int64() }},
	{path: []string{"callable"}, set: func(r *formats.Row, v parquet.Value) { r.Callable = v.Boolean() }},
	{path: []string{"mailable"}, set: func(r *formats.Row, v parquet.Value) { r.Mailable = v.Boolean() }},
	{path: []string{"reasons", "list", "element"}, code: func(r *formats.Row, s string) { r.Reasons = append(r.Reasons, s) }},
}

type countedColumn struct {
	path []string
	set  func(*formats.Row, parquet.Value)
	// code, instead of set, stores an interned copy of a string value, for
	// values that outlive the row (reason codes become map keys).
	code func(*formats.Row, string)
}

// pageString returns v's bytes as a string without copying. The string
// points into the page the value was read from: it is valid until the
// column reader releases that page after counting the block of rows, so it
// must not outlive the row (tally.count keeps only interned reason codes).
func pageString(v parquet.Value) string {
	b := v.ByteArray()
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// columnReader yields the values of one column chunk, row by row.
type columnReader struct {
	col    countedColumn
	maxDef int
	pages  parquet.Pages
	page   parquet.Page
	values parquet.ValueReader
	buf    []parquet.Value
	i, n   int
	codes  map[string]string // interned strings, for code columns
	held   []parquet.Page    // pages finished but still referenced by rows
}

// release gives back the finished pages, once no row refers to them.
func (c *columnReader) release() {
	for i, p := range c.held {
		parquet.Release(p)
		c.held[i] = nil
	}
	c.held = c.held[:0]
}

// peek returns the next value without consuming it; ok is false at the
// end of the chunk.
func (c *columnReader) peek() (parquet.Value, bool, error) {
	for c.i == c.n {
		if c.values == nil {
			if c.page != nil {
				c.held = append(c.held, c.page)
				c.page = nil
			}
			p, err := c.pages.ReadPage()
			if errors.Is(err, io.EOF) {
				return parquet.Value{}, false, nil
			}
			if err != nil {
				return parquet.Value{}, false, err
			}
			c.page, c.values = p, p.Values()
		}
		n, err := c.values.ReadValues(c.buf)
		c.i, c.n = 0, n
		if errors.Is(err, io.EOF) {
			c.values = nil
		} else if err != nil {
			return parquet.Value{}, false, err
		} else if n == 0 {
			return parquet.Value{}, false, io.ErrNoProgress
		}
	}
	return c.buf[c.i], true, nil
}

// readRow stores the next row's values into r.
func (c *columnReader) readRow(r *formats.Row) error {
	v, ok, err := c.peek()
	if err != nil {
		return err
	}
	if !ok || v.RepetitionLevel() != 0 {
		return fmt.Errorf("column %s ends early", strings.Join(c.col.path, "."))
	}
	for {
		c.i++
		if v.DefinitionLevel() == c.maxDef {
			if c.col.code != nil {
				c.col.code(r, c.intern(v.ByteArray()))
			} else {
				c.col.set(r, v)
			}
		}
		if v, ok, err = c.peek(); err != nil {
			return err
		}
		if !ok || v.RepetitionLevel() == 0 {
			return nil
		}
	}
}

// intern returns b as a string that stays valid after the page is
// released, allocating once per distinct value.
func (c *columnReader) intern(b []byte) string {
	s, ok := c.codes[string(b)]
	if !ok {
		s = string(b)
		c.codes[s] = s
	}
	return s
}

func (c *columnReader) close() {
	c.release()
	if c.page != nil {
		parquet.Release(c.page)
		c.page = nil
	}
	c.pages.Close()
}

// countRowGroup reads the counted columns of rg and counts every row into
// t, adding its source line to lines.
func countRowGroup(rg parquet.RowGroup, t *tally, lines *lineSet, codes map[string]string) error {
	schema := rg.Schema()
	chunks := rg.ColumnChunks()
	cols := make([]*columnReader, len(countedColumns))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.close()
			}
		}
	}()
	for i, cc := range countedColumns {
		leaf, ok := schema.Lookup(cc.path...)
		if !ok {
			return fmt.Errorf("column %s missing", strings.Join(cc.path, "."))
		}
		cols[i] = &columnReader{col: cc, maxDef: leaf.MaxDefinitionLevel, pages: chunks[leaf.ColumnIndex].Pages(),
			buf: make([]parquet.Value, 512), codes: codes}
	}
	// Column by column over blocks of rows: each column's decoding stays
	// hot in the cache.
	rows := make([]formats.Row, 128)
	for left := rg.NumRows(); left > 0; {
		block := rows[:min(left, int64(len(rows)))]
		left -= int64(len(block))
		for i := range block {
			block[i].Reset()
		}
		for _, c := range cols {
			for i := range block {
				if err := c.readRow(&block[i]); err != nil {
					return err
				}
			}
		}
		for i := range block {
			t.count(&block[i])
			if !lines.add(block[i].SourceLine) {
				return fmt.Errorf("%w: source_line %d appears twice in %s", ErrAccounting, block[i].SourceLine, RowsDir)
			}
		}
		for _, c := range cols {
			c.release()
		}
	}
	for _, c := range cols {
		if _, more, err := c.peek(); err != nil {
			return err
		} else if more {
			return fmt.Errorf("column %s holds more rows than the row group", strings.Join(c.col.path, "."))
		}
	}
	return nil
}

// verifyOutput reads the rows/ parts back and checks the accounting before
// anything is committed: every row once, distinct source lines, and counts
// recomputed from the Parquet equal to the scorecard's. Row groups are read
// in parallel, each into its own tally.
func verifyOutput(ctx context.Context, src Sink, rowsPrefix string, files []OutputFile, want *tally) error {
	type group struct {
		rg   parquet.RowGroup
		file string
	}
	var groups []group
	var closers []func()
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	var inFiles int64
	for _, f := range files {
		if !strings.HasPrefix(f.Key, rowsPrefix) {
			continue
		}
		ra, closer, err := openReaderAt(ctx, src, f.Key)
		if err != nil {
			return err
		}
		closers = append(closers, closer)
		pf, err := parquet.OpenFile(ra, f.Size)
		if err != nil {
			return fmt.Errorf("read back %s: %w", f.Key, err)
		}
		if pf.NumRows() != f.Rows {
			return fmt.Errorf("%w: %s holds %d rows, %d written", ErrAccounting, f.Key, pf.NumRows(), f.Rows)
		}
		inFiles += f.Rows
		for _, rg := range pf.RowGroups() {
			groups = append(groups, group{rg, f.Key})
		}
	}
	if inFiles != want.Rows {
		return fmt.Errorf("%w: %d rows in %s, %d written", ErrAccounting, inFiles, rowsPrefix, want.Rows)
	}
	n := min(runtime.GOMAXPROCS(0), max(len(groups), 1))
	tallies := make([]*tally, n)
	lines := make([]*lineSet, n)
	g, gctx := errgroup.WithContext(ctx)
	for w := range n {
		tallies[w], lines[w] = newTally(), newLineSet()
		g.Go(func() error {
			codes := map[string]string{}
			for i := w; i < len(groups); i += n {
				if err := gctx.Err(); err != nil {
					return err
				}
				if err := countRowGroup(groups[i].rg, tallies[w], lines[w], codes); err != nil {
					return fmt.Errorf("read back %s: %w", groups[i].file, err)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	got := newTally()
	for w := range n {
		got.add(tallies[w])
		if w > 0 {
			if l, ok := lines[0].merge(lines[w]); !ok {
				return fmt.Errorf("%w: source_line %d appears twice in %s", ErrAccounting, l, RowsDir)
			}
		}
	}
	got.finish()
	if got.Counts != want.Counts {
		return fmt.Errorf("%w: counts from Parquet %+v differ from counts while writing %+v", ErrAccounting, got.Counts, want.Counts)
	}
	for k, v := range want.reasons {
		if got.reasons[k] != v {
			return fmt.Errorf("%w: reason %s: %d in Parquet, %d while writing", ErrAccounting, k, got.reasons[k], v)
		}
	}
	return nil
}

// openReaderAt returns random access to an object: directly for a local
// file, through a temporary copy otherwise.
func openReaderAt(ctx context.Context, src Sink, key string) (io.ReaderAt, func(), error) {
	rc, err := src.Open(ctx, key)
	if err != nil {
		return nil, nil, fmt.Errorf("read back %s: %w", key, err)
	}
	if f, ok := rc.(*os.File); ok {
		return f, func() { f.Close() }, nil
	}
	defer rc.Close()
	tmp, err := os.CreateTemp("", "listwash-readback-*")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { tmp.Close(); os.Remove(tmp.Name()) }
	if _, err := io.Copy(tmp, rc); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("read back %s: %w", key, err)
	}
	return tmp, cleanup, nil
}

// merge adds o's lines to s; on a line in both it returns it and false.
func (s *lineSet) merge(o *lineSet) (int64, bool) {
	for len(s.bits) < len(o.bits) {
		s.bits = append(s.bits, make([]uint64, len(o.bits)-len(s.bits))...)
	}
	for i, b := range o.bits {
		if both := s.bits[i] & b; both != 0 {
			return int64(i)<<6 | int64(bits.TrailingZeros64(both)), false
		}
		s.bits[i] |= b
	}
	return 0, true
}

// lineSet is a growable bitset of source lines.
type lineSet struct{ bits []uint64 }

func newLineSet() *lineSet { return &lineSet{} }

// add reports false if line was already present.
func (s *lineSet) add(line int64) bool {
	if line < 0 {
		return false
	}
	i := int(line >> 6)
	for i >= len(s.bits) {
		s.bits = append(s.bits, make([]uint64, len(s.bits)+1024)...)
	}
	m := uint64(1) << (line & 63)
	if s.bits[i]&m != 0 {
		return false
	}
	s.bits[i] |= m
	return true
}
