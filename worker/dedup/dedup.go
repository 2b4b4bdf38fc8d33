package dedup

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/cespare/xxhash/v2"

	"github.com/listwash/listwash/formats"
)

// Reason codes set on duplicate rows.
const (
	ReasonDuplicate     = "DUPLICATE"      // the same normalised record as the survivor
	ReasonNearDuplicate = "NEAR_DUPLICATE" // the same person, written differently
)

// Defaults of Config.
const (
	DefaultThreshold = 0.85
	DefaultBlockCap  = 32
	DefaultWindow    = 8
	DefaultSpillRows = 2_000_000
)

// Sentinel errors.
var (
	ErrNotPlanned   = errors.New("dedup: plan not made")
	ErrPlanned      = errors.New("dedup: already planned")
	ErrLineTooLarge = errors.New("dedup: source line above 4294967295")
	ErrTooManyRows  = errors.New("dedup: more than 4294967295 rows")
)

// Config tunes matching. The zero value uses the defaults.
type Config struct {
	// Threshold is the lowest match score (0..1) that makes two rows one
	// person. 0 means DefaultThreshold (0.85).
	Threshold float64
	// BlockCap is the largest block compared pair by pair; a larger block
	// (a switchboard phone shared by thousands of rows) is compared by a
	// sliding window over rows sorted by name. 0 means DefaultBlockCap (32).
	BlockCap int
	// Window is the window of an oversized block. 0 means DefaultWindow (8).
	Window int
	// PairsPerPass bounds the blocking entries sorted at once (memory);
	// 0 means 4 Mi entries (64 MiB plus as much scratch).
	PairsPerPass int
	// SpillRows: once more than this many rows were observed, the per-row
	// state goes to temporary files in SpillDir instead of the heap, and
	// Plan works through them in bounded passes (same results). 0 means
	// DefaultSpillRows; negative never spills.
	SpillRows int
	// SpillDir is where spill files go; "" means os.TempDir().
	SpillDir string
	// PlanWorkers is the number of goroutines that compare blocks in Plan;
	// 0 means GOMAXPROCS. The plan is the same with any number. With more
	// than one, Plan holds a second partition of blocking entries (sorted
	// while the first is compared) and, in spill mode, a second table of
	// fetched recs.
	PlanWorkers int
}

// Stats counts what Plan found. Rejected rows are not counted anywhere.
type Stats struct {
	Rows               int64 `json:"rows"`                 // non-rejected rows observed
	DuplicateRows      int64 `json:"duplicate_rows"`       // exact + near
	ExactDuplicateRows int64 `json:"exact_duplicate_rows"` // DUPLICATE
	NearDuplicateRows  int64 `json:"near_duplicate_rows"`  // NEAR_DUPLICATE
	Persons            int64 `json:"persons"`              // rows - duplicates
	Households         int64 `json:"households"`           // households of two or more persons
	Comparisons        int64 `json:"comparisons"`          // scored candidate pairs
	OversizedBlocks    int64 `json:"oversized_blocks"`     // blocks compared by window only
}

// Result is the plan for one row.
type Result struct {
	DuplicateOf int64   // survivor's source line, 0 for a survivor
	MatchScore  float32 // 0..1, 0 for a survivor
	HouseholdID int64   // smallest source line of the household, 0 if alone
	Exact       bool    // DuplicateOf is an exact duplicate
}

// result is Result packed in 16 bytes.
type result struct {
	line  uint32
	dup   uint32
	hh    uint32
	score uint16 // MatchScore * 65535
	exact bool
}

// constraint is what a cluster of rows must agree on: two different valid
// personnummer (or birth dates) never join.
type constraint struct {
	pnr   uint64
	birth uint32
}

// Deduper finds exact and near duplicates in one delivery. Observe every
// row (one goroutine, file order), then Plan once; after that Lookup and
// Apply are safe from many goroutines.
type Deduper struct {
	cfg Config

	recs    recs
	names   arena
	buf     []byte
	nbuf    []byte               // folded names of the row being filled
	cur     rec                  // the rec being filled or read (a field: a local would escape)
	nameBuf [2 * maxNameLen]byte // names read by ObserveEncoded
	ordered bool
	last    uint32

	// Spill mode: the recs and names are on disk (sp); during Plan tab holds the recs being compared (loc maps a
	// row to its place in tab), and cpnr/cbirth the constraints of every
	// row while linking.
	sp *spill
	// spilled: Plan ran from the spill files (sp is gone after Plan).
	spilled bool
	n       uint32 // rows observed
	tab     *table
	loc     []uint32
	cpnr    []uint64
	cbirth  []uint32

	// Plan state; parent, best, cons and edges are dropped when Plan returns.
	edges [][]edge // matched pairs, one slice per comparer (or partition)
	// external: the pairs come from Matchers (AddMatches), by source
	// line; Plan does not compare.
	external bool
	parent   []uint32
	best     []float32
	cons     map[uint32]constraint
	thr      float64
	wthr     float64 // W of thr
	planned  bool
	res      []result
	byLine   []uint32 // res indices sorted by line, when lines were not increasing
	stats    Stats
}

// New returns an empty Deduper.
func New(cfg Config) *Deduper {
	if cfg.Threshold <= 0 {
		cfg.Threshold = DefaultThreshold
	}
	if cfg.BlockCap <= 1 {
		cfg.BlockCap = DefaultBlockCap
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.PairsPerPass <= 0 {
		cfg.PairsPerPass = 4 << 20
	}
	if cfg.SpillRows == 0 {
		cfg.SpillRows = DefaultSpillRows
	}
	return &Deduper{cfg: cfg, ordered: true}
}

// Stats returns the counts of the plan (zero before Plan).
func (d *Deduper) Stats() Stats { return d.stats }

// Spilled reports whether Plan worked from temp files (more rows were
// observed than Config.SpillRows). The plan is the same either way.
func (d *Deduper) Spilled() bool { return d.spilled }

// StateBytes is the memory held by the per-row state: before Plan the
// comparison state, after Plan the results.
func (d *Deduper) StateBytes() int64 {
	n := int64(len(d.recs.chunks))<<recChunkBits*int64(recSize) + d.names.bytes()
	if d.sp != nil {
		n += 2*spillBufSize + int64(cap(d.sp.chunkOff))*8 // write buffers, chunk index
	}
	return n + int64(cap(d.res))*16 + int64(cap(d.byLine))*4
}

// Observe records the compact state of one row. Rejected rows are skipped.
func (d *Deduper) Observe(row *formats.Row) error {
	if row.Rejected {
		return nil
	}
	if d.planned {
		return ErrPlanned
	}
	if row.SourceLine < 0 || row.SourceLine > math.MaxUint32 {
		return ErrLineTooLarge
	}
	names := d.fill(row, &d.cur)
	return d.add(&d.cur, names)
}

// fill computes the matching state of a row (all of it but the names'
// place in the arena) and returns its folded names, valid until the next
// fill.
func (d *Deduper) fill(row *formats.Row, r *rec) []byte {
	*r = rec{line: uint32(row.SourceLine)}

	// Names, folded; phonetic codes of the first word of each.
	b := AppendFold(d.nbuf[:0], row.FirstName)
	if len(b) > maxNameLen {
		b = b[:maxNameLen]
	}
	r.flen = uint8(len(b))
	b = AppendFold(b, row.LastName)
	if len(b)-int(r.flen) > maxNameLen {
		b = b[:int(r.flen)+maxNameLen]
	}
	r.llen = uint8(len(b) - int(r.flen))
	d.nbuf = b
	r.pfirst = d.phonetic(b[:r.flen])
	r.plast = d.phonetic(b[r.flen:])

	if row.PNRValid && row.PNR != "" {
		r.pnr = d.hash('p', row.PNR)
	}
	n := d.addPhone(r, 0, row.MobileE164, row.MobileType == "" || row.MobileType == "mobile")
	n = d.addPhone(r, n, row.PhoneE164, row.PhoneType == "mobile")
	for _, p := range row.Phones {
		n = d.addPhone(r, n, p, false)
	}
	if row.EmailValid && row.Email != "" {
		d.buf = appendLower(d.buf[:0], row.Email)
		r.email = xxhash.Sum64(d.buf) | 1
	}
	if row.PostalCode != "" {
		for i := 0; i < len(row.PostalCode); i++ {
			if c := row.PostalCode[i]; '0' <= c && c <= '9' && r.postal < 1e8 {
				r.postal = r.postal*10 + uint32(c-'0')
			}
		}
	}
	r.addr = d.addrKey(row, r.postal)
	if row.Apartment != "" {
		d.buf = AppendFold(d.buf[:0], row.Apartment)
		r.apt = uint32(xxhash.Sum64(d.buf)) | 1
	}
	r.birth = parseDate(row.BirthDate)
	r.exact = d.exactKey(row, r)
	r.complete = completeness(row, r)
	return b
}

// add records one filled rec and its names.
func (d *Deduper) add(r *rec, names []byte) error {
	if d.planned {
		return ErrPlanned
	}
	if d.n == math.MaxUint32 {
		return ErrTooManyRows
	}
	if d.n > 0 && r.line <= d.last {
		d.ordered = false
	}
	d.last = r.line
	if d.sp != nil {
		if _, err := d.sp.nameW.Write(names); err != nil {
			return fmt.Errorf("dedup spill: write: %w", err)
		}
		d.stats.Rows++
		d.n++
		return d.sp.addRec(r, len(names))
	}
	p := d.recs.add()
	*p = *r
	p.name = 0
	if len(names) > 0 {
		off, err := d.names.add(names)
		if err != nil {
			return err
		}
		p.name = off
	}
	d.stats.Rows++
	d.n++
	if d.cfg.SpillRows > 0 && int64(d.n) > int64(d.cfg.SpillRows) {
		return d.startSpill()
	}
	return nil
}

// addPhone stores the key of phone p as r.phone[n] unless it is there:
// bit 1 is always set (present), bit 0 says mobile; compare with |1.
func (d *Deduper) addPhone(r *rec, n int, p string, mobile bool) int {
	if p == "" || n == len(r.phone) {
		return n
	}
	h := d.hash('t', p) | 2
	for i, q := range r.phone[:n] {
		if q|1 == h {
			if mobile {
				r.phone[i] |= 1
			}
			return n
		}
	}
	if !mobile {
		h &^= 1
	}
	r.phone[n] = h
	return n + 1
}

// hash is a non-zero 64-bit hash of one value with a kind byte.
func (d *Deduper) hash(kind byte, s string) uint64 {
	d.buf = append(append(d.buf[:0], kind), s...)
	return xxhash.Sum64(d.buf) | 1
}

func (d *Deduper) phonetic(name []byte) uint32 {
	if len(name) == 0 {
		return 0
	}
	// Only the first word: "Anna Maria" and "Anna" block together.
	for i, c := range name {
		if c == ' ' {
			name = name[:i]
			break
		}
	}
	var buf [8]byte
	return uint32(xxhash.Sum64(appendPhonetic(buf[:0], name))) | 1
}

// addrKey hashes postal code, street name, number and letter (0 when the
// row has no street or no postal code).
func (d *Deduper) addrKey(row *formats.Row, postal uint32) uint64 {
	if postal == 0 || (row.StreetName == "" && row.Street == "") {
		return 0
	}
	b := d.buf[:0]
	b = append(b, byte(postal), byte(postal>>8), byte(postal>>16), byte(postal>>24), 0)
	if row.StreetName != "" {
		b = AppendFold(b, row.StreetName)
		b = append(b, 0)
		b = AppendFold(b, row.StreetNumber)
		b = append(b, 0)
		b = AppendFold(b, row.StreetLetter)
	} else {
		b = AppendFold(b, row.Street)
	}
	d.buf = b
	return xxhash.Sum64(b) | 1
}

// exactKey hashes the normalised record as the normaliser wrote it: names,
// street, apartment, c/o, postal code, city, country, e-mail, personnummer
// and every phone. Rows with the same key are exact duplicates. A row with
// neither a name nor an identifier has no key (0): nothing to deduplicate.
func (d *Deduper) exactKey(row *formats.Row, r *rec) uint64 {
	if r.flen == 0 && r.llen == 0 && r.pnr == 0 && r.email == 0 && r.phone[0] == 0 {
		return 0
	}
	b := d.buf[:0]
	for _, s := range [...]string{row.FirstName, row.LastName, row.Street, row.Apartment, row.CO,
		row.PostalCode, row.City, row.Country, row.Email, row.PNR, row.PhoneE164, row.MobileE164} {
		b = append(append(b, s...), 0)
	}
	for _, s := range row.Phones {
		b = append(append(b, s...), 1)
	}
	d.buf = b
	return xxhash.Sum64(b) | 1
}

// completeness counts valid identifiers and filled fields: the survivor of
// a cluster is its most complete row.
func completeness(row *formats.Row, r *rec) uint8 {
	var n uint8
	for _, ok := range [...]bool{r.pnr != 0, r.email != 0, r.phone[0] != 0, r.phone[1] != 0,
		r.flen > 0, r.llen > 0, row.Street != "", row.PostalValid, row.City != "", r.birth != 0} {
		if ok {
			n++
		}
	}
	return n
}

func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// parseDate reads YYYY-MM-DD as YYYYMMDD; 0 if s is not of that shape.
func parseDate(s string) uint32 {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0
	}
	var v uint32
	for i := 0; i < 10; i++ {
		if i == 4 || i == 7 {
			continue
		}
		c := s[i]
		if c < '0' || c > '9' {
			return 0
		}
		v = v*10 + uint32(c-'0')
	}
	return v
}

// Plan clusters the observed rows and chooses survivors. It must be called
// once, after the last Observe.
func (d *Deduper) Plan(ctx context.Context) error {
	if d.planned {
		return ErrPlanned
	}
	d.planned = true
	if d.sp != nil {
		d.spilled = true
		return d.planSpill(ctx)
	}
	n := d.recs.n
	d.thr = d.cfg.Threshold
	d.wthr = weightFor(d.thr) - 1e-9
	d.parent = make([]uint32, n)
	for i := range d.parent {
		d.parent[i] = uint32(i)
	}
	d.best = make([]float32, n)
	d.cons = make(map[uint32]constraint)

	per := min(2*n, d.cfg.PairsPerPass+d.cfg.PairsPerPass/4)
	pairs, tmp := make([]pair, 0, per), make([]pair, per)
	if err := d.planExact(ctx, &pairs, &tmp); err != nil {
		return err
	}
	d.flatten()
	if d.external {
		pairs = nil
		if err := d.externalEdges(uint32(n), func(i uint32) uint32 { return d.recs.at(i).line }); err != nil {
			return err
		}
	} else {
		pool := d.startPool(ctx, false, pairs, per)
		pairs = nil
		var err error
		for k := kind(0); k < numKinds && err == nil; k++ {
			err = d.planKind(ctx, pool, k, &tmp)
		}
		if werr := pool.wait(); err == nil {
			err = werr
		}
		if err != nil {
			return err
		}
	}
	tmp = nil
	d.link()
	d.finish(&tmp)
	// Free the comparison state: only results are needed from now on.
	d.parent, d.best, d.cons, d.edges = nil, nil, nil, nil
	d.recs, d.names, d.buf = recs{}, arena{}, nil
	return nil
}

// planExact joins rows with the same exact key; later copies are marked
// so that blocking skips them (their first copy stands for them).
func (d *Deduper) planExact(ctx context.Context, pairs, tmp *[]pair) error {
	n := uint32(d.recs.n)
	parts := d.parts(uint64(n))
	for part := uint64(0); part < parts; part++ {
		p := (*pairs)[:0]
		for i := uint32(0); i < n; i++ {
			if k := d.recs.at(i).exact; k != 0 && (k>>32)%parts == part {
				p = append(p, pair{key: k, idx: i})
			}
		}
		p, *tmp = grow(p, *tmp)
		radixSortHashed(p, *tmp)
		for s := 0; s < len(p); {
			e := s + 1
			for e < len(p) && p[e].key == p[s].key {
				d.union(p[s].idx, p[e].idx)
				d.best[p[e].idx] = 1
				d.recs.at(p[e].idx).flags |= flagNotRep
				e++
			}
			s = e
		}
		*pairs = p
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func grow(p, tmp []pair) ([]pair, []pair) {
	if len(tmp) < len(p) {
		tmp = make([]pair, cap(p))
	}
	return p, tmp
}

// parts is how many passes a kind with up to perRow keys per row needs.
func (d *Deduper) parts(entries uint64) uint64 {
	return 1 + entries/uint64(d.cfg.PairsPerPass)
}

// kind is a blocking key: rows that share a key of a kind are compared.
type kind uint8

const (
	kindPNR        kind = iota // valid personnummer
	kindEmail                  // valid e-mail, case-folded
	kindPhone                  // any of two E.164 numbers
	kindAddrName               // address + phonetic first or last name (swap-proof)
	kindNameBirth              // phonetic names (unordered) + birth date
	kindNamePostal             // phonetic names (unordered) + postal code
	numKinds
)

func mix(a, b uint64) uint64 {
	h := a ^ (b+0x9e3779b97f4a7c15)*0xbf58476d1ce4e5b9
	h ^= h >> 31
	h *= 0x94d049bb133111eb
	h ^= h >> 29
	return h | 1
}

// keys appends the keys of kind k of r to dst.
func (k kind) keys(dst []uint64, r *rec) []uint64 {
	lo, hi := uint64(min(r.pfirst, r.plast)), uint64(max(r.pfirst, r.plast))
	names := lo<<32 | hi
	switch k {
	case kindPNR:
		if r.pnr != 0 {
			dst = append(dst, r.pnr)
		}
	case kindEmail:
		if r.email != 0 {
			dst = append(dst, r.email)
		}
	case kindPhone:
		for _, p := range r.phone {
			if p != 0 {
				dst = append(dst, p|1)
			}
		}
	case kindAddrName:
		if r.addr != 0 {
			if r.plast != 0 {
				dst = append(dst, mix(r.addr, uint64(r.plast)))
			}
			if r.pfirst != 0 && r.pfirst != r.plast {
				dst = append(dst, mix(r.addr, uint64(r.pfirst)))
			}
		}
	case kindNameBirth:
		if r.birth != 0 && lo != 0 {
			dst = append(dst, mix(uint64(r.birth), names))
		}
	case kindNamePostal:
		if r.postal != 0 && lo != 0 {
			dst = append(dst, mix(uint64(r.postal)<<1, names))
		}
	}
	return dst
}

// planKind builds and sorts the blocking entries of kind k partition by
// partition and hands their blocks to the pool.
func (d *Deduper) planKind(ctx context.Context, pool *planPool, k kind, tmp *[]pair) error {
	n := uint32(d.recs.n)
	perRow := uint64(1)
	if k == kindPhone || k == kindAddrName {
		perRow = 2
	}
	parts := d.parts(uint64(n) * perRow)
	var keys [2]uint64
	for part := uint64(0); part < parts; part++ {
		buf, err := pool.buffer()
		if err != nil {
			return err
		}
		p := buf.pairs[:0]
		for i := uint32(0); i < n; i++ {
			r := d.recs.at(i)
			if r.flags&flagNotRep != 0 {
				continue
			}
			for _, key := range k.keys(keys[:0], r) {
				if (key>>32)%parts == part {
					p = append(p, pair{key: key, idx: i})
				}
			}
		}
		p, *tmp = grow(p, *tmp)
		radixSortHashed(p, *tmp)
		buf.pairs = p
		if err := pool.dispatchMemory(k, buf); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("dedup plan: %w", err)
		}
	}
	return nil
}

// edge is a scored candidate pair at or above the threshold.
type edge struct {
	i, j  uint32
	score float32
}

// sharedEarlier reports whether a and b share a key of a kind before k
// (kind.keys, unrolled: this runs for every candidate pair).
func sharedEarlier(k kind, a, b *rec) bool {
	if k > kindPNR && a.pnr != 0 && a.pnr == b.pnr {
		return true
	}
	if k > kindEmail && a.email != 0 && a.email == b.email {
		return true
	}
	if k > kindPhone && a.phone[0] != 0 && b.phone[0] != 0 {
		for _, p := range a.phone {
			if p != 0 && (p|1 == b.phone[0]|1 || p|1 == b.phone[1]|1) {
				return true
			}
		}
	}
	if k > kindAddrName && a.addr != 0 && a.addr == b.addr &&
		(a.plast != 0 && (a.plast == b.plast || a.plast == b.pfirst) ||
			a.pfirst != 0 && (a.pfirst == b.plast || a.pfirst == b.pfirst)) {
		return true
	}
	sameNames := min(a.pfirst, a.plast) == min(b.pfirst, b.plast) && max(a.pfirst, a.plast) == max(b.pfirst, b.plast)
	return k > kindNameBirth && a.birth != 0 && a.birth == b.birth && sameNames && a.pfirst|a.plast != 0
}

// link joins matched pairs best first (Kruskal's order: score descending,
// then row order), so that a row joins the person it matches best before a
// weaker link could tie it to a look-alike that the constraints then keep
// apart from its real cluster. Each comparer's edges are sorted on a
// goroutine of their own, then merged: the order is total (equal edges are
// the same pair and score), so it is the order of all the edges sorted.
func (d *Deduper) link() {
	sets := d.edges
	var wg sync.WaitGroup
	for _, s := range sets {
		wg.Go(func() { slices.SortFunc(s, cmpEdge) })
	}
	wg.Wait()
	for {
		b := -1
		for k, s := range sets {
			if len(s) > 0 && (b < 0 || cmpEdge(s[0], sets[b][0]) < 0) {
				b = k
			}
		}
		if b < 0 {
			break
		}
		e := sets[b][0]
		sets[b] = sets[b][1:]
		if d.unionChecked(e.i, e.j) {
			d.best[e.i] = max(d.best[e.i], e.score)
			d.best[e.j] = max(d.best[e.j], e.score)
		}
	}
}

// cmpEdge orders edges by score descending, then rows.
func cmpEdge(x, y edge) int {
	switch {
	case x.score != y.score:
		if x.score > y.score {
			return -1
		}
		return 1
	case x.i != y.i:
		return cmpU32(x.i, y.i)
	}
	return cmpU32(x.j, y.j)
}

func (d *Deduper) find(i uint32) uint32 {
	p := d.parent
	for p[i] != i {
		p[i] = p[p[i]]
		i = p[i]
	}
	return i
}

// union joins the clusters of i and j; the root is the smaller index.
func (d *Deduper) union(i, j uint32) {
	a, b := d.find(i), d.find(j)
	if a == b {
		return
	}
	if b < a {
		a, b = b, a
	}
	d.parent[b] = a
	ca, cb := d.constraint(a), d.constraint(b)
	d.setConstraint(a, merge(ca, cb))
	delete(d.cons, b)
}

// unionChecked joins the clusters of i and j unless they hold different
// personnummer or birth dates; it reports whether they are joined.
func (d *Deduper) unionChecked(i, j uint32) bool {
	a, b := d.find(i), d.find(j)
	if a == b {
		return true
	}
	ca, cb := d.constraint(a), d.constraint(b)
	if ca.pnr != 0 && cb.pnr != 0 && ca.pnr != cb.pnr ||
		ca.birth != 0 && cb.birth != 0 && ca.birth != cb.birth {
		return false
	}
	d.union(a, b)
	return true
}

func (d *Deduper) constraint(root uint32) constraint {
	if c, ok := d.cons[root]; ok {
		return c
	}
	return d.own(root)
}

// own is the constraint of row i alone.
func (d *Deduper) own(i uint32) constraint {
	if d.cpnr != nil {
		return constraint{pnr: d.cpnr[i], birth: d.cbirth[i]}
	}
	r := d.recs.at(i)
	return constraint{pnr: r.pnr, birth: r.birth}
}

// rec is the state of row i: in memory, or in the fetched table.
func (d *Deduper) rec(i uint32) *rec {
	if d.tab != nil {
		return &d.tab.tab[d.loc[i]]
	}
	return d.recs.at(i)
}

func (d *Deduper) setConstraint(root uint32, c constraint) {
	if c == d.own(root) {
		delete(d.cons, root)
		return
	}
	d.cons[root] = c
}

func merge(a, b constraint) constraint {
	if a.pnr == 0 {
		a.pnr = b.pnr
	}
	if a.birth == 0 {
		a.birth = b.birth
	}
	return a
}

// finish chooses survivors (most complete, then earliest line), fills the
// results and the households, and counts.
func (d *Deduper) finish(tmp *[]pair) {
	n := uint32(d.recs.n)
	surv := make([]uint32, n) // per root: the survivor so far
	for i := uint32(0); i < n; i++ {
		surv[i] = i
	}
	for i := uint32(0); i < n; i++ {
		root := d.find(i)
		if root == i {
			continue
		}
		s := surv[root]
		if better(d.recs.at(i), d.recs.at(s)) {
			surv[root] = i
		}
	}
	d.res = make([]result, n)
	var hh []pair
	for i := uint32(0); i < n; i++ {
		r := d.recs.at(i)
		s := surv[d.find(i)]
		out := &d.res[i]
		out.line = r.line
		if s == i {
			d.stats.Persons++
			if r.addr != 0 && r.llen > 0 {
				last := d.names.get(r.name+uint32(r.flen), int(r.llen))
				key := mix(mix(r.addr, uint64(r.apt)), xxhash.Sum64(last))
				hh = append(hh, pair{key: key, idx: i})
			}
			continue
		}
		d.markDuplicate(i, r, d.recs.at(s))
	}
	d.households(hh, tmp)
	d.finishTail(surv)
}

// households gives survivors with the same address, apartment and surname
// (the same key in hh, whose idx are rows) one HouseholdID.
func (d *Deduper) households(hh []pair, tmp *[]pair) {
	if len(*tmp) < len(hh) {
		*tmp = make([]pair, len(hh))
	}
	radixSort(hh, *tmp)
	for s := 0; s < len(hh); {
		e := s + 1
		minLine := d.res[hh[s].idx].line
		for e < len(hh) && hh[e].key == hh[s].key {
			minLine = min(minLine, d.res[hh[e].idx].line)
			e++
		}
		if e-s > 1 {
			d.stats.Households++
			for _, p := range hh[s:e] {
				d.res[p.idx].hh = minLine
			}
		}
		s = e
	}
}

// finishTail gives duplicates their survivor's HouseholdID and indexes the
// results by line when lines were not increasing.
func (d *Deduper) finishTail(surv []uint32) {
	n := uint32(len(d.res))
	for i := uint32(0); i < n; i++ {
		if s := surv[d.find(i)]; s != i {
			d.res[i].hh = d.res[s].hh
		}
	}
	if !d.ordered {
		d.byLine = make([]uint32, n)
		for i := range d.byLine {
			d.byLine[i] = uint32(i)
		}
		slices.SortFunc(d.byLine, func(a, b uint32) int {
			return int(int64(d.res[a].line) - int64(d.res[b].line))
		})
	}
}

// markDuplicate fills the result of row i (rec r), a duplicate of the
// survivor sr: exact when their exact keys agree, else near with its
// score against the survivor (or, below the threshold, its best link).
func (d *Deduper) markDuplicate(i uint32, r, sr *rec) {
	out := &d.res[i]
	out.dup = sr.line
	d.stats.DuplicateRows++
	if r.exact == sr.exact {
		out.exact = true
		out.score = math.MaxUint16
		d.stats.ExactDuplicateRows++
		return
	}
	d.stats.NearDuplicateRows++
	sc, ok := d.score(r, sr, math.Inf(-1))
	if !ok || sc < d.thr {
		sc = float64(d.best[i])
	}
	out.score = uint16(math.Round(sc * math.MaxUint16))
}

// better reports whether a should survive rather than b: more complete,
// then earlier line.
func better(a, b *rec) bool {
	if a.complete != b.complete {
		return a.complete > b.complete
	}
	return a.line < b.line
}

// Lookup returns the plan for the row at line.
func (d *Deduper) Lookup(line int64) (Result, bool) {
	i, ok := d.index(line, -1)
	if !ok {
		return Result{}, false
	}
	return d.res[i].export(), true
}

func (r *result) export() Result {
	out := Result{DuplicateOf: int64(r.dup), HouseholdID: int64(r.hh), Exact: r.exact}
	if r.dup != 0 {
		out.MatchScore = float32(r.score) / math.MaxUint16
	}
	return out
}

// index finds the result of line; hint is the result after the previous
// lookup (rows of a batch are consecutive lines), or -1.
func (d *Deduper) index(line int64, hint int) (int, bool) {
	if line < 0 || line > math.MaxUint32 {
		return 0, false
	}
	l := uint32(line)
	if d.byLine == nil {
		if hint >= 0 && hint < len(d.res) && d.res[hint].line == l {
			return hint, true
		}
		i, ok := slices.BinarySearchFunc(d.res, l, func(r result, l uint32) int { return cmpU32(r.line, l) })
		return i, ok
	}
	k, ok := slices.BinarySearchFunc(d.byLine, l, func(i, l uint32) int { return cmpU32(d.res[i].line, l) })
	if !ok {
		return 0, false
	}
	return int(d.byLine[k]), true
}

func cmpU32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Apply marks rows from the plan: DuplicateOf, MatchScore, HouseholdID and
// the reason DUPLICATE or NEAR_DUPLICATE. Rejected rows and rows that were
// not observed are left alone. Safe for concurrent use after Plan.
func (d *Deduper) Apply(rows []formats.Row) error {
	if !d.planned {
		return ErrNotPlanned
	}
	hint := -1
	for k := range rows {
		row := &rows[k]
		if row.Rejected {
			continue
		}
		i, ok := d.index(row.SourceLine, hint)
		if !ok {
			continue
		}
		hint = i + 1
		res := d.res[i].export()
		row.HouseholdID = res.HouseholdID
		if res.DuplicateOf == 0 {
			continue
		}
		row.DuplicateOf = res.DuplicateOf
		row.MatchScore = res.MatchScore
		if res.Exact {
			row.AddReason(ReasonDuplicate)
		} else {
			row.AddReason(ReasonNearDuplicate)
		}
	}
	return nil
}
