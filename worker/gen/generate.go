package gen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// rejectedBit marks a person whose first row was rejected (too few fields):
// duplicates never point at it.
const rejectedBit = 1 << 31

// generator holds the state of one run. It is not safe for concurrent use.
type generator struct {
	cfg      Config
	r        rng // row-level choices
	cal      calendar
	asOfDate uint32
	post     *postDir
	mobPerm  perm
	landPerm perm
	order    [numCols]int

	pnrTaken []uint64 // bitset of identity numbers in use
	pnrKeys  []uint32 // identity number of every person, by id
	lines    []uint32 // first source line of every person, by id (| rejectedBit)

	sink  sink
	truth *bufio.Writer // nil: no truth
	regs  *registers    // nil: no registers

	p, q person
	w    row
	tbuf []byte
	line int64
	sum  Summary
}

func newGenerator(cfg Config) *generator {
	g := &generator{
		cfg:      cfg,
		r:        newRNG(cfg.Seed, streamRows, 0),
		cal:      newCalendar(cfg.AsOf),
		post:     newPostDir(),
		mobPerm:  newPerm(mobileSpace, cfg.Seed, streamMobilePerm),
		landPerm: newPerm(landSpace, cfg.Seed, streamLandPerm),
		lines:    make([]uint32, 0, cfg.Rows),
		pnrKeys:  make([]uint32, 0, cfg.Rows),
		sum:      Summary{Defects: map[string]int64{}},
	}
	g.asOfDate = g.cal.days[g.cal.asOfIdx]
	g.pnrTaken = make([]uint64, (2*len(g.cal.days)*1000+63)/64)
	for i := range g.order {
		g.order[i] = i
	}
	if cfg.ShuffleColumns {
		r := newRNG(cfg.Seed, streamColumns, 0)
		for i := len(g.order) - 1; i > 0; i-- {
			j := r.intn(i + 1)
			g.order[i], g.order[j] = g.order[j], g.order[i]
		}
	}
	return g
}

// headerNames returns the header in canonical column order; the sink
// applies the column order.
func (g *generator) headerNames() [numCols]string {
	if g.cfg.Headers == HeadersPolish && g.cfg.Encoding == EncodingWindows1252 && !g.cfg.XLSX {
		return polishASCII
	}
	return headerNames[g.cfg.Headers]
}

// run writes the header and every row.
func (g *generator) run(ctx context.Context) error {
	if err := g.sink.header(g.headerNames()); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	g.line = 2
	if g.truth != nil {
		g.truth.WriteString(strings.Join(TruthColumns, ",") + "\n")
	}
	for i := 0; i < g.cfg.Rows; i++ {
		if i&0x3fff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := g.next(); err != nil {
			return err
		}
	}
	return nil
}

// next generates and writes one row.
func (g *generator) next() error {
	w, p := &g.w, &g.p
	kind := KindOriginal
	if len(g.lines) > 0 {
		x := float64(g.r.next()>>11) * (1.0 / (1 << 53))
		switch {
		case x < g.cfg.DupRate:
			kind = KindExactDup
		case x < g.cfg.DupRate+g.cfg.NearDupRate:
			kind = KindNearDup
		}
	}
	var dupOf int64
	if kind != KindOriginal {
		id := -1
		for try := 0; try < 16; try++ {
			c := g.r.intn(len(g.lines))
			if g.lines[c]&rejectedBit == 0 {
				id = c
				break
			}
		}
		if id < 0 {
			kind = KindOriginal
		} else {
			g.genPerson(p, uint32(id), g.pnrKeys[id], true)
			dupOf = int64(g.lines[id])
		}
	}
	if kind == KindOriginal {
		g.genPerson(p, uint32(len(g.lines)), 0, false)
	}
	g.fill(w, p)
	w.kind, w.dupOf = kind, dupOf
	switch kind {
	case KindOriginal:
		if g.r.chance(g.cfg.DefectRate) {
			g.addDefects(w, p)
		}
	case KindExactDup:
		if g.r.chance(0.3) && g.reformatPhone(w, p) {
			w.variant = append(w.variant, VariantPhoneFormat)
		}
	case KindNearDup:
		g.addVariations(w, p)
	}
	start := g.line
	n, err := g.sink.write(w)
	if err != nil {
		return fmt.Errorf("write delivery: %w", err)
	}
	g.line += n
	v := g.judge(w, p)
	g.count(w, v)
	if kind == KindOriginal {
		l := uint32(start)
		if w.rejected {
			l |= rejectedBit
		}
		g.lines = append(g.lines, l)
		if g.regs != nil {
			g.registerPerson(p)
		}
	}
	if g.truth != nil {
		g.tbuf = appendTruth(g.tbuf[:0], start, w, v)
		if _, err := g.truth.Write(g.tbuf); err != nil {
			return fmt.Errorf("write truth: %w", err)
		}
	}
	return nil
}

func (g *generator) count(w *row, v verdict) {
	s := &g.sum
	s.Rows++
	switch w.kind {
	case KindOriginal:
		s.Originals++
	case KindExactDup:
		s.ExactDups++
	default:
		s.NearDups++
	}
	if len(w.defects) > 0 {
		s.DefectRows++
		for _, d := range w.defects {
			s.Defects[d]++
		}
	}
	if v.nixListed {
		s.NIXRows++
	}
}

func (g *generator) summary() Summary {
	s := g.sum
	s.Persons = int64(len(g.lines))
	s.Lines = g.line - 1
	if g.regs != nil {
		s.NIXEntries = g.regs.nix.n
		s.Consents = g.regs.consents.n
		s.Deceased = g.regs.deceased.n
	}
	return s
}

// DeliveryName returns the delivery's file name for cfg.
func DeliveryName(cfg Config) string {
	switch {
	case cfg.XLSX:
		return "delivery.xlsx"
	case cfg.Gzip:
		return "delivery.csv.gz"
	}
	return "delivery.csv"
}

// WriteDelivery writes only the delivery file (no truth, no registers) to
// w. The bytes are the same as the delivery Generate writes for cfg.
func WriteDelivery(ctx context.Context, w io.Writer, cfg Config) (Summary, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Summary{}, err
	}
	g := newGenerator(cfg)
	s, err := g.newSink(w)
	if err != nil {
		return Summary{}, err
	}
	g.sink = s
	err = g.run(ctx)
	if cerr := s.close(); err == nil {
		err = cerr
	}
	sum := g.summary()
	sum.Bytes = s.bytes()
	return sum, err
}

type closingSink interface {
	sink
	bytes() int64
}

func (s *csvSink) bytes() int64  { return s.cnt.n }
func (s *xlsxSink) bytes() int64 { return s.out.n }

func (g *generator) newSink(w io.Writer) (closingSink, error) {
	if g.cfg.XLSX {
		return newXLSXSink(w, g.order)
	}
	return newCSVSink(w, g.cfg, g.order), nil
}

// Generate writes DIR/delivery.csv (or .csv.gz, .xlsx), DIR/truth.csv,
// DIR/registers/ and DIR/README.txt. On error, partial files are left in dir.
func Generate(ctx context.Context, cfg Config, dir string) (Summary, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Summary{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Summary{}, fmt.Errorf("output dir: %w", err)
	}
	g := newGenerator(cfg)
	df, err := os.Create(filepath.Join(dir, DeliveryName(cfg)))
	if err != nil {
		return Summary{}, fmt.Errorf("create delivery: %w", err)
	}
	defer df.Close()
	tf, err := os.Create(filepath.Join(dir, "truth.csv"))
	if err != nil {
		return Summary{}, fmt.Errorf("create truth: %w", err)
	}
	defer tf.Close()
	s, err := g.newSink(df)
	if err != nil {
		return Summary{}, err
	}
	g.sink = s
	g.truth = bufio.NewWriterSize(tf, 1<<20)
	if g.regs, err = newRegisters(dir, cfg); err != nil {
		return Summary{}, err
	}
	err = g.run(ctx)
	if err == nil {
		g.finishRegisters()
	}
	errs := []error{err, s.close(), g.truth.Flush(), g.regs.close(), df.Close(), tf.Close()}
	if err := errors.Join(errs...); err != nil {
		return Summary{}, err
	}
	sum := g.summary()
	sum.Bytes = s.bytes()
	if err := os.WriteFile(filepath.Join(dir, "README.txt"), readme(cfg, sum), 0o644); err != nil {
		return sum, fmt.Errorf("write readme: %w", err)
	}
	return sum, nil
}

func readme(cfg Config, s Summary) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "Synthetic supplier delivery written by `listwash gen`. All persons are invented.\n\n")
	fmt.Fprintf(&b, "Reproduce: listwash gen --rows %d --seed %d --asof %s --encoding %s --delimiter %q --headers %s",
		cfg.Rows, cfg.Seed, cfg.AsOf.Format(time.DateOnly), cfg.Encoding, delimName(cfg.Delimiter), cfg.Headers)
	for _, f := range []struct {
		on   bool
		flag string
	}{{cfg.Gzip, "--gzip"}, {cfg.XLSX, "--xlsx"}, {cfg.CRLF, "--crlf"}, {cfg.ShuffleColumns, "--shuffle-columns"}} {
		if f.on {
			b.WriteString(" " + f.flag)
		}
	}
	fmt.Fprintf(&b, " --supplier %q --company %q --defects %g --dup-rate %g --near-dup-rate %g --nix-rate %g --nix-size %d\n\n",
		cfg.Supplier, cfg.Company, cfg.DefectRate, cfg.DupRate, cfg.NearDupRate, cfg.NIXRate, cfg.NIXSize)
	fmt.Fprintf(&b, "%s: %d rows (%d persons: %d originals, %d exact duplicates, %d near duplicates), %d defect rows\n",
		DeliveryName(cfg), s.Rows, s.Persons, s.Originals, s.ExactDups, s.NearDups, s.DefectRows)
	codes := make([]string, 0, len(s.Defects))
	for c := range s.Defects {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		fmt.Fprintf(&b, "  %-20s %d\n", c, s.Defects[c])
	}
	fmt.Fprintf(&b, "truth.csv: one line per data row, keyed by source_line\n")
	fmt.Fprintf(&b, "registers/: NIX %d numbers (version %s), %d consents for %q and others, %d deceased, dnc, robinson, customers, postcodes\n",
		s.NIXEntries, NIXVersion(cfg.AsOf).Format(time.DateOnly), s.Consents, cfg.Company, s.Deceased)
	return []byte(b.String())
}

func delimName(d byte) string {
	if d == '\t' {
		return "tab"
	}
	return string(d)
}
