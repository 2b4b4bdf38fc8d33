package dedup

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"

	"golang.org/x/sync/errgroup"
)

// Partitioned matching: the comparisons of a delivery split by blocking
// key, so that they run on many machines.
//
// Every block (the rows sharing one key of one kind) falls whole into one
// of P partitions, chosen by the key. Where rows are washed, SplitEncoded
// appends each row's encoded state to the partition of every one of its
// keys; a Matcher per partition reads what every chunk wrote for it,
// compares its blocks exactly as Plan does and returns the matched pairs,
// named by source line. The Deduper that observed every row then takes
// the pairs of all partitions (AddMatches) instead of comparing itself:
// Plan keeps its exact pass, linking, survivorship and households, all
// linear in the rows. The plan is the same (match_test.go checks it).
//
// Exact copies need no global pass before the partitions: copies have
// the same normalised fields, so the same keys, so every block holding
// one copy holds all of them, and the first of them in the block is the
// first of the delivery, the one Plan keeps in blocking.

// PartMagic starts a partition file: the encoded rows (Encoder.Append
// layout) whose keys fall into one partition, in file order.
var PartMagic = "listwash-dedup-part-v1 " + strconv.Itoa(recSize) + "\n"

// ErrCorruptMatches: a matches file is truncated or of another version.
var ErrCorruptMatches = errors.New("dedup: corrupt matches")

// partOf is the partition of a blocking key among parts.
func partOf(key uint64, parts int) int { return int((key >> 32) % uint64(parts)) }

// SplitEncoded appends each row of enc (rows as Encoder.Append wrote
// them, back to back) to dst[p] for every partition p that one of the
// row's blocking keys falls into, once per partition. dst has one slice
// per partition.
func SplitEncoded(dst [][]byte, enc []byte) error {
	parts := len(dst)
	if parts == 0 {
		return errors.New("dedup: no partitions")
	}
	var r rec
	var keys [2]uint64
	for len(enc) > 0 {
		if len(enc) < recSize {
			return fmt.Errorf("%w: a row of %d bytes", ErrCorruptEncoded, len(enc))
		}
		copy(recBytes(&r), enc)
		n := recSize + int(r.flen) + int(r.llen)
		if r.flen > maxNameLen || r.llen > maxNameLen || n > len(enc) {
			return fmt.Errorf("%w: names", ErrCorruptEncoded)
		}
		var seen uint64 // partitions < 64 already given this row
		for k := kind(0); k < numKinds; k++ {
			for _, key := range k.keys(keys[:0], &r) {
				p := partOf(key, parts)
				if p < 64 {
					if seen&(1<<p) != 0 {
						continue
					}
					seen |= 1 << p
				} else if sameTail(dst[p], enc[:n]) {
					continue
				}
				dst[p] = append(dst[p], enc[:n]...)
			}
		}
		enc = enc[n:]
	}
	return nil
}

// sameTail reports whether b ends with row (a row already given to a
// partition numbered 64 or more).
func sameTail(b, row []byte) bool {
	return len(b) >= len(row) && string(b[len(b)-len(row):]) == string(row)
}

// Matcher compares the blocks of one partition.
type Matcher struct {
	d           *Deduper // configuration and thresholds; no rows
	part, parts int
	tab         table // the partition's rows, in file order
	last        uint32
}

// NewMatcher returns a Matcher of partition part of parts, for a
// Deduper made with cfg.
func NewMatcher(cfg Config, part, parts int) (*Matcher, error) {
	if parts < 1 || part < 0 || part >= parts {
		return nil, fmt.Errorf("dedup: partition %d of %d", part, parts)
	}
	d := New(cfg)
	d.thr = d.cfg.Threshold
	d.wthr = weightFor(d.thr) - 1e-9
	return &Matcher{d: d, part: part, parts: parts}, nil
}

// Add reads the rows a chunk wrote for this partition (after PartMagic),
// to r's end. Chunks must be added in file order. It returns how many
// rows r held.
func (m *Matcher) Add(r io.Reader) (int, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 256<<10)
	}
	var names [2 * maxNameLen]byte
	n := 0
	for {
		var x rec
		if _, err := io.ReadFull(br, recBytes(&x)); err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, fmt.Errorf("%w: after row %d: %w", ErrCorruptEncoded, n, err)
		}
		if x.flen > maxNameLen || x.llen > maxNameLen {
			return n, fmt.Errorf("%w: row %d", ErrCorruptEncoded, n)
		}
		if len(m.tab.tab) > 0 && x.line <= m.last {
			return n, fmt.Errorf("dedup: partition rows out of file order at row %d", n)
		}
		nl := int(x.flen) + int(x.llen)
		if _, err := io.ReadFull(br, names[:nl]); err != nil {
			return n, fmt.Errorf("%w: row %d: %w", ErrCorruptEncoded, n, err)
		}
		x.name = 0
		if nl > 0 {
			off, err := m.tab.names.add(names[:nl])
			if err != nil {
				return n, err
			}
			x.name = off
		}
		x.flags = 0
		m.tab.tab = append(m.tab.tab, x)
		m.last = x.line
		n++
	}
}

// Rows is the number of rows added.
func (m *Matcher) Rows() int { return len(m.tab.tab) }

// Match compares the blocks of the partition on workers goroutines (0:
// GOMAXPROCS) and returns the matched pairs. The Matcher is spent.
func (m *Matcher) Match(ctx context.Context, workers int) (*Matches, error) {
	d := m.d
	d.cfg.PlanWorkers = workers
	var jobs []planJob
	var keys [2]uint64
	var tmp []pair
	for k := kind(0); k < numKinds; k++ {
		var p []pair
		for sub := range m.tab.tab {
			r := &m.tab.tab[sub]
			for _, key := range k.keys(keys[:0], r) {
				if partOf(key, m.parts) == m.part {
					p = append(p, pair{key: key, idx: r.line, sub: uint32(sub)})
				}
			}
		}
		// By key, then file order (appended in it; the sort is stable).
		if len(tmp) < len(p) {
			tmp = make([]pair, len(p))
		}
		radixSortHashed(p, tmp)
		p = m.reps(p)
		// Jobs of whole blocks, about jobPairs entries each.
		for s := 0; s < len(p); {
			e := min(s+jobPairs, len(p))
			for e < len(p) && p[e].key == p[e-1].key {
				e++
			}
			jobs = append(jobs, planJob{k: k, p: p[s:e]})
			s = e
		}
	}
	tmp = nil
	cs := make([]*comparer, min(d.planWorkers(), max(1, len(jobs))))
	next := make(chan planJob)
	g, gctx := errgroup.WithContext(ctx)
	for i := range cs {
		c := &comparer{d: d, tab: &m.tab, names: &m.tab.names}
		cs[i] = c
		g.Go(func() error {
			for j := range next {
				eachBlock(j.p, func(b []pair) { c.block(j.k, b) })
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(next)
		for _, j := range jobs {
			select {
			case next <- j:
			case <-gctx.Done():
				return fmt.Errorf("dedup match: %w", gctx.Err())
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := &Matches{}
	for _, c := range cs {
		out.Comparisons += c.comparisons
		out.Oversized += c.oversized
		out.edges = append(out.edges, c.edges...)
	}
	slices.SortFunc(out.edges, cmpEdge)
	m.tab = table{}
	return out, nil
}

// reps drops from the sorted entries p every exact copy of an earlier row
// of its block (see the package's partitioned matching), in place.
func (m *Matcher) reps(p []pair) []pair {
	w := 0
	var seen map[uint64]struct{}
	for s := 0; s < len(p); {
		e := s + 1
		for e < len(p) && p[e].key == p[s].key {
			e++
		}
		from := w
		big := e-s > 64
		if big {
			clear(seen)
			if seen == nil {
				seen = make(map[uint64]struct{})
			}
		}
		for _, x := range p[s:e] {
			ex := m.tab.tab[x.sub].exact
			if ex != 0 {
				if big {
					if _, ok := seen[ex]; ok {
						continue
					}
					seen[ex] = struct{}{}
				} else if slices.ContainsFunc(p[from:w], func(y pair) bool { return m.tab.tab[y.sub].exact == ex }) {
					continue
				}
			}
			p[w] = x
			w++
		}
		s = e
	}
	return p[:w]
}

// Matches are the matched pairs of one partition, rows named by source
// line, and its counts.
type Matches struct {
	Comparisons int64
	Oversized   int64
	edges       []edge // i, j: source lines
}

// Pairs is the number of matched pairs.
func (m *Matches) Pairs() int { return len(m.edges) }

// matchesMagic starts the binary form of Matches.
const matchesMagic = "listwash-dedup-matches-v1\n"

// MarshalBinary encodes m: the magic, the counts and the pairs, 12 bytes
// each, little-endian.
func (m *Matches) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, len(matchesMagic)+24+12*len(m.edges))
	b = append(b, matchesMagic...)
	b = binary.LittleEndian.AppendUint64(b, uint64(m.Comparisons))
	b = binary.LittleEndian.AppendUint64(b, uint64(m.Oversized))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(m.edges)))
	for _, e := range m.edges {
		b = binary.LittleEndian.AppendUint32(b, e.i)
		b = binary.LittleEndian.AppendUint32(b, e.j)
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(e.score))
	}
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary wrote.
func (m *Matches) UnmarshalBinary(b []byte) error {
	if len(b) < len(matchesMagic)+24 || string(b[:len(matchesMagic)]) != matchesMagic {
		return fmt.Errorf("%w: no header", ErrCorruptMatches)
	}
	b = b[len(matchesMagic):]
	m.Comparisons = int64(binary.LittleEndian.Uint64(b))
	m.Oversized = int64(binary.LittleEndian.Uint64(b[8:]))
	n := binary.LittleEndian.Uint64(b[16:])
	b = b[24:]
	if n > uint64(len(b)/12) || uint64(len(b)) != 12*n {
		return fmt.Errorf("%w: %d bytes for %d pairs", ErrCorruptMatches, len(b), n)
	}
	m.edges = make([]edge, n)
	for k := range m.edges {
		m.edges[k] = edge{i: binary.LittleEndian.Uint32(b), j: binary.LittleEndian.Uint32(b[4:]),
			score: math.Float32frombits(binary.LittleEndian.Uint32(b[8:]))}
		b = b[12:]
	}
	return nil
}

// AddMatches gives the Deduper the matched pairs of one partition. A
// Deduper given matches does not compare: Plan links the pairs of every
// partition added, and fails unless rows were observed in line order.
// Call it before Plan, once per partition.
func (d *Deduper) AddMatches(m *Matches) error {
	if d.planned {
		return ErrPlanned
	}
	d.external = true
	if len(m.edges) > 0 {
		d.edges = append(d.edges, m.edges)
	}
	d.stats.Comparisons += m.Comparisons
	d.stats.OversizedBlocks += m.Oversized
	return nil
}

// externalEdges turns the added pairs' source lines into rows; line(i)
// is the source line of row i of n, increasing.
func (d *Deduper) externalEdges(n uint32, line func(i uint32) uint32) error {
	if !d.ordered {
		return errors.New("dedup: matches need rows observed in line order")
	}
	row := func(l uint32) (uint32, bool) {
		i := sort.Search(int(n), func(i int) bool { return line(uint32(i)) >= l })
		return uint32(i), i < int(n) && line(uint32(i)) == l
	}
	for _, set := range d.edges {
		for k := range set {
			i, iok := row(set[k].i)
			j, jok := row(set[k].j)
			if !iok || !jok {
				return fmt.Errorf("%w: a matched pair names a row that was not observed", ErrCorruptMatches)
			}
			set[k].i, set[k].j = i, j
		}
	}
	return nil
}
