package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/errgroup"

	"github.com/listwash/listwash/formats"
)

// countedRow holds the columns the counts are computed from: the read-back
// check decodes only these.
type countedRow struct {
	SourceLine      int64    `parquet:"source_line"`
	Rejected        bool     `parquet:"rejected"`
	PhoneRaw        string   `parquet:"phone_raw"`
	MobileRaw       string   `parquet:"mobile_raw"`
	EmailRaw        string   `parquet:"email_raw"`
	Phones          []string `parquet:"phones,list"`
	PhoneValid      bool     `parquet:"phone_valid"`
	MobileValid     bool     `parquet:"mobile_valid"`
	PostalValid     bool     `parquet:"postal_valid"`
	PNRValid        bool     `parquet:"pnr_valid"`
	EmailValid      bool     `parquet:"email_valid"`
	NIXListed       *bool    `parquet:"nix_listed,optional"`
	Robinson        *bool    `parquet:"robinson,optional"`
	InternalDNC     *bool    `parquet:"internal_dnc,optional"`
	Deceased        *bool    `parquet:"deceased,optional"`
	Erased          *bool    `parquet:"erased,optional"`
	Moved           *bool    `parquet:"moved,optional"`
	PhoneOwnerMatch *bool    `parquet:"phone_owner_match,optional"`
	DuplicateOf     int64    `parquet:"duplicate_of"`
	Callable        bool     `parquet:"callable"`
	Mailable        bool     `parquet:"mailable"`
	Reasons         []string `parquet:"reasons,list"`
}

func (c *countedRow) row() formats.Row {
	return formats.Row{
		SourceLine: c.SourceLine, Rejected: c.Rejected, PhoneRaw: c.PhoneRaw, MobileRaw: c.MobileRaw,
		EmailRaw: c.EmailRaw, Phones: c.Phones, PhoneValid: c.PhoneValid, MobileValid: c.MobileValid,
		PostalValid: c.PostalValid, PNRValid: c.PNRValid, EmailValid: c.EmailValid,
		NIXListed: c.NIXListed, Robinson: c.Robinson, InternalDNC: c.InternalDNC, Deceased: c.Deceased,
		Erased: c.Erased, Moved: c.Moved, PhoneOwnerMatch: c.PhoneOwnerMatch, DuplicateOf: c.DuplicateOf,
		Callable: c.Callable, Mailable: c.Mailable, Reasons: c.Reasons,
	}
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
	lines := make([][]int64, n)
	g, gctx := errgroup.WithContext(ctx)
	for w := range n {
		tallies[w] = newTally()
		g.Go(func() error {
			buf := make([]countedRow, 1024)
			for i := w; i < len(groups); i += n {
				r := parquet.NewGenericRowGroupReader[countedRow](groups[i].rg)
				for {
					k, err := r.Read(buf)
					for j := range buf[:k] {
						row := buf[j].row()
						tallies[w].count(&row)
						lines[w] = append(lines[w], buf[j].SourceLine)
					}
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						r.Close()
						return fmt.Errorf("read back %s: %w", groups[i].file, err)
					}
					if err := gctx.Err(); err != nil {
						r.Close()
						return err
					}
				}
				r.Close()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	got := newTally()
	seen := newLineSet()
	for w := range n {
		got.add(tallies[w])
		for _, l := range lines[w] {
			if !seen.add(l) {
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
