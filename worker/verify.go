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
// of every count). Each column has one setter, by its physical type; for
// a list column it is called once per element.
var countedColumns = []countedColumn{
	{path: []string{"source_line"}, setInt: func(r *formats.Row, v int64) { r.SourceLine = v }},
	{path: []string{"rejected"}, setBool: func(r *formats.Row, v bool) { r.Rejected = v }},
	{path: []string{"phone_raw"}, setString: func(r *formats.Row, v string) { r.PhoneRaw = v }},
	{path: []string{"mobile_raw"}, setString: func(r *formats.Row, v string) { r.MobileRaw = v }},
	{path: []string{"email_raw"}, setString: func(r *formats.Row, v string) { r.EmailRaw = v }},
	{path: []string{"phones", "list", "element"}, setString: func(r *formats.Row, v string) { r.Phones = append(r.Phones, v) }},
	{path: []string{"phone_valid"}, setBool: func(r *formats.Row, v bool) { r.PhoneValid = v }},
	{path: []string{"mobile_valid"}, setBool: func(r *formats.Row, v bool) { r.MobileValid = v }},
	{path: []string{"postal_valid"}, setBool: func(r *formats.Row, v bool) { r.PostalValid = v }},
	{path: []string{"pnr_valid"}, setBool: func(r *formats.Row, v bool) { r.PNRValid = v }},
	{path: []string{"email_valid"}, setBool: func(r *formats.Row, v bool) { r.EmailValid = v }},
	{path: []string{"nix_listed"}, setBool: func(r *formats.Row, v bool) { r.NIXListed = formats.Bool(v) }},
	{path: []string{"robinson"}, setBool: func(r *formats.Row, v bool) { r.Robinson = formats.Bool(v) }},
	{path: []string{"internal_dnc"}, setBool: func(r *formats.Row, v bool) { r.InternalDNC = formats.Bool(v) }},
	{path: []string{"deceased"}, setBool: func(r *formats.Row, v bool) { r.Deceased = formats.Bool(v) }},
	{path: []string{"erased"}, setBool: func(r *formats.Row, v bool) { r.Erased = formats.Bool(v) }},
	{path: []string{"moved"}, setBool: func(r *formats.Row, v bool) { r.Moved = formats.Bool(v) }},
	{path: []string{"phone_owner_match"}, setBool: func(r *formats.Row, v bool) { r.PhoneOwnerMatch = formats.Bool(v) }},
	{path: []string{"duplicate_of"}, setInt: func(r *formats.Row, v int64) { r.DuplicateOf = v }},
	{path: []string{"callable"}, setBool: func(r *formats.Row, v bool) { r.Callable = v }},
	{path: []string{"mailable"}, setBool: func(r *formats.Row, v bool) { r.Mailable = v }},
	{path: []string{"reasons", "list", "element"}, code: func(r *formats.Row, s string) { r.Reasons = append(r.Reasons, s) }},
}

type countedColumn struct {
	path    []string
	setInt  func(*formats.Row, int64)
	setBool func(*formats.Row, bool)
	// setString gets a string that points into the page (no copy): it is
	// valid until the column reader releases the page, after the block of
	// rows is counted, so it must not outlive the row.
	setString func(*formats.Row, string)
	// code gets an interned copy instead, for strings that outlive the
	// row (reason codes become map keys).
	code func(*formats.Row, string)
}

func (c *countedColumn) kind() parquet.Kind {
	switch {
	case c.setInt != nil:
		return parquet.Int64
	case c.setBool != nil:
		return parquet.Boolean
	}
	return parquet.ByteArray
}

// columnReader yields the values of one column chunk, row by row, from the
// pages' decoded data (levels and values), without per-value conversion.
// Pages are read in sequence, never sought, so none is a slice of another.
type columnReader struct {
	col    countedColumn
	name   string
	kind   parquet.Kind
	maxDef byte
	pages  parquet.Pages
	page   parquet.Page      // current page
	held   []parquet.Page    // finished pages, still referenced by rows
	codes  map[string]string // interned strings, for code columns

	n, slot, val int    // level slots in the page, next slot, next value
	defs, reps   []byte // nil when the column has no such levels
	ints         []int64
	bits         []byte
	data         []byte
	offs         []uint32
}

// load moves to the next non-empty page; false at the end of the chunk.
func (c *columnReader) load() (bool, error) {
	for {
		if c.page != nil {
			c.held = append(c.held, c.page)
			c.page = nil
		}
		p, err := c.pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		c.page = p
		if p.Dictionary() != nil {
			return false, fmt.Errorf("column %s: dictionary-encoded page", c.name)
		}
		c.n, c.slot, c.val = int(p.NumValues()), 0, 0
		c.defs, c.reps = p.DefinitionLevels(), p.RepetitionLevels()
		if (c.defs != nil && len(c.defs) != c.n) || (c.reps != nil && len(c.reps) != c.n) {
			return false, fmt.Errorf("column %s: %d levels for %d values", c.name, len(c.defs), c.n)
		}
		values := c.n
		if c.defs != nil {
			values = 0
			for _, d := range c.defs {
				if d == c.maxDef {
					values++
				}
			}
		}
		d := p.Data()
		ok := true
		switch c.kind {
		case parquet.Int64:
			c.ints = d.Int64()
			ok = len(c.ints) == values
		case parquet.Boolean:
			c.bits = d.Boolean()
			ok = len(c.bits) >= (values+7)/8
		default:
			c.data, c.offs = d.ByteArray()
			ok = len(c.offs) == values+1 || (values == 0 && len(c.offs) == 0)
		}
		if !ok {
			return false, fmt.Errorf("column %s: page holds fewer values than its levels say", c.name)
		}
		if c.n > 0 {
			return true, nil
		}
	}
}

// readRow stores the next row's values into r.
func (c *columnReader) readRow(r *formats.Row) error {
	for first := true; ; first = false {
		if c.slot == c.n {
			more, err := c.load()
			if err != nil {
				return err
			}
			if !more {
				if first {
					return fmt.Errorf("column %s ends early", c.name)
				}
				return nil
			}
		}
		if c.reps != nil && (c.reps[c.slot] == 0) != first {
			if first {
				return fmt.Errorf("column %s: a row starts inside a list", c.name)
			}
			return nil // the next row's first value
		}
		def := c.maxDef
		if c.defs != nil {
			def = c.defs[c.slot]
		}
		c.slot++
		if def == c.maxDef {
			i := c.val
			c.val++
			switch c.kind {
			case parquet.Int64:
				c.col.setInt(r, c.ints[i])
			case parquet.Boolean:
				c.col.setBool(r, c.bits[i>>3]>>(i&7)&1 != 0)
			default:
				b := c.data[c.offs[i]:c.offs[i+1]]
				if c.col.code != nil {
					c.col.code(r, c.intern(b))
				} else if len(b) > 0 {
					c.col.setString(r, unsafe.String(&b[0], len(b)))
				} else {
					c.col.setString(r, "")
				}
			}
		}
		if c.reps == nil {
			return nil
		}
	}
}

// atEnd reports whether every value of the chunk was read.
func (c *columnReader) atEnd() (bool, error) {
	if c.slot < c.n {
		return false, nil
	}
	more, err := c.load()
	return !more, err
}

// release gives back the finished pages, once no row refers to them.
func (c *columnReader) release() {
	for i, p := range c.held {
		parquet.Release(p)
		c.held[i] = nil
	}
	c.held = c.held[:0]
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
		name := strings.Join(cc.path, ".")
		if k := leaf.Node.Type().Kind(); k != cc.kind() {
			return fmt.Errorf("column %s is %s, want %s", name, k, cc.kind())
		}
		cols[i] = &columnReader{col: cc, name: name, kind: cc.kind(), maxDef: byte(leaf.MaxDefinitionLevel),
			pages: chunks[leaf.ColumnIndex].Pages(), codes: codes}
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
		if end, err := c.atEnd(); err != nil {
			return err
		} else if !end {
			return fmt.Errorf("column %s holds more rows than the row group", c.name)
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
	tmp, err := os.CreateTemp("", spillPattern("readback"))
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
