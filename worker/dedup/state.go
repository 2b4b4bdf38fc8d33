package dedup

import "errors"

// errArenaFull means the folded names of the delivery passed 4 GiB.
var errArenaFull = errors.New("dedup: name arena full")

// Per-row state kept between Observe and Plan. Nothing here is a cleartext
// identifier except the folded names (needed for fuzzy comparison), and it
// lives only in memory for the run.

const (
	recChunkBits   = 16 // 65 536 rows per chunk
	arenaChunkBits = 20 // 1 MiB per name chunk
	maxNameLen     = 48 // folded first or last name is cut to this many bytes
)

// rec is the compact comparison state of one row: 80 bytes. Keys are 64-bit
// xxhash values of normalised fields (0: field absent).
type rec struct {
	exact    uint64    // hash of the whole normalised record (exact duplicates)
	pnr      uint64    // valid personnummer
	phone    [2]uint64 // up to two valid numbers, E.164
	email    uint64    // valid e-mail, whole address lower-cased
	addr     uint64    // postal code + street name + number + letter
	line     uint32    // SourceLine
	apt      uint32    // apartment (32-bit hash), 0 if none
	postal   uint32    // postal code digits, 0 if none
	birth    uint32    // YYYYMMDD, 0 if unknown
	name     uint32    // offset of "first"+"last" (folded) in the name arena
	pfirst   uint32    // phonetic code of the first name, hashed; 0 if none
	plast    uint32    // phonetic code of the last name, hashed; 0 if none
	flen     uint8     // length of folded first name
	llen     uint8     // length of folded last name
	complete uint8     // count of filled/valid fields (survivorship)
	flags    uint8
}

const flagNotRep = 1 // an exact copy of an earlier row: not blocked again

// recs is a chunked slice of rec: growth never copies (no 2x peak).
type recs struct {
	chunks [][]rec
	n      int
}

func (r *recs) add() *rec {
	c := r.n >> recChunkBits
	if c == len(r.chunks) {
		r.chunks = append(r.chunks, make([]rec, 1<<recChunkBits))
	}
	p := &r.chunks[c][r.n&(1<<recChunkBits-1)]
	r.n++
	return p
}

func (r *recs) at(i uint32) *rec {
	return &r.chunks[i>>recChunkBits][i&(1<<recChunkBits-1)]
}

// arena stores folded names back to back in 1 MiB chunks.
type arena struct {
	chunks [][]byte
	free   [][]byte // emptied chunks for reuse (spill tables)
}

// reset empties a, keeping its chunks for reuse.
func (a *arena) reset() {
	for _, c := range a.chunks {
		a.free = append(a.free, c[:0])
	}
	a.chunks = a.chunks[:0]
}

// add stores b and returns its offset; len(b) must be <= 2*maxNameLen.
func (a *arena) add(b []byte) (uint32, error) {
	n := len(a.chunks)
	if n == 0 || len(a.chunks[n-1])+len(b) > 1<<arenaChunkBits {
		if n == 1<<(32-arenaChunkBits) {
			return 0, errArenaFull
		}
		if k := len(a.free); k > 0 {
			a.chunks = append(a.chunks, a.free[k-1])
			a.free = a.free[:k-1]
		} else {
			a.chunks = append(a.chunks, make([]byte, 0, 1<<arenaChunkBits))
		}
		n++
	}
	c := a.chunks[n-1]
	off := uint32(n-1)<<arenaChunkBits | uint32(len(c))
	a.chunks[n-1] = append(c, b...)
	return off, nil
}

func (a *arena) get(off uint32, n int) []byte {
	c := a.chunks[off>>arenaChunkBits]
	o := off & (1<<arenaChunkBits - 1)
	return c[o : int(o)+n]
}

// bytes is the memory the arena holds.
func (a *arena) bytes() int64 { return int64(len(a.chunks)) << arenaChunkBits }
