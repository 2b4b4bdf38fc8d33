package dedup

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"unsafe"
)

// Spill files. Once a delivery passes Config.SpillRows rows, Observe writes
// each rec (80 bytes, native layout) to recs.bin and its folded names to
// names.bin instead of keeping them on the heap. Plan then reads them back
// in chunks of spillChunk rows: sequentially to build blocking entries,
// which go to bucket files (one per kind and partition), and chunk by chunk
// to fetch the recs that a partition's blocks compare. Everything lives in
// one temporary directory, removed when Plan returns or by Close. The files
// hold hashes and folded names only for the run, like the heap state.

const (
	recSize        = int(unsafe.Sizeof(rec{}))
	spillChunkBits = 12 // 4096 rows a chunk: 320 KiB of recs
	spillChunk     = 1 << spillChunkBits
	spillBufSize   = 256 << 10
)

// spill is the on-disk per-row state.
type spill struct {
	dir      string
	recF     *os.File
	nameF    *os.File
	recW     *bufio.Writer
	nameW    *bufio.Writer
	n        uint32  // recs written
	nameOff  int64   // name bytes written
	chunkOff []int64 // names offset of the first row of each chunk
	buckets  []*os.File
	buf      chunkBuf // for each
}

// chunkBuf holds one chunk read from the spill. Each goroutine reading
// chunks has its own.
type chunkBuf struct {
	recs  []rec
	names []byte
}

// newSpill creates the spill directory and files in dir ("" = os.TempDir()).
func newSpill(dir string) (*spill, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	tmp, err := os.MkdirTemp(dir, "listwash-dedup-"+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return nil, fmt.Errorf("dedup spill: %w", err)
	}
	sp := &spill{dir: tmp}
	if sp.recF, err = os.Create(filepath.Join(tmp, "recs.bin")); err == nil {
		sp.nameF, err = os.Create(filepath.Join(tmp, "names.bin"))
	}
	if err != nil {
		sp.remove()
		return nil, fmt.Errorf("dedup spill: %w", err)
	}
	sp.recW = bufio.NewWriterSize(sp.recF, spillBufSize)
	sp.nameW = bufio.NewWriterSize(sp.nameF, spillBufSize)
	return sp, nil
}

func recBytes(r *rec) []byte { return unsafe.Slice((*byte)(unsafe.Pointer(r)), recSize) }

func recsBytes(rs []rec) []byte {
	if len(rs) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&rs[0])), len(rs)*recSize)
}

func pairsBytes(ps []pair) []byte {
	if len(ps) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&ps[0])), len(ps)*int(unsafe.Sizeof(pair{})))
}

// add appends one rec and its folded names (flen+llen bytes).
func (sp *spill) add(r *rec, names []byte) error {
	if _, err := sp.nameW.Write(names); err != nil {
		return fmt.Errorf("dedup spill: write: %w", err)
	}
	return sp.addRec(r, len(names))
}

// addRec appends one rec whose nl bytes of names were just written to
// nameW.
func (sp *spill) addRec(r *rec, nl int) error {
	if sp.n&(spillChunk-1) == 0 {
		sp.chunkOff = append(sp.chunkOff, sp.nameOff)
	}
	if _, err := sp.recW.Write(recBytes(r)); err != nil {
		return fmt.Errorf("dedup spill: write: %w", err)
	}
	sp.nameOff += int64(nl)
	sp.n++
	return nil
}

// flush ends writing: Plan reads from here on.
func (sp *spill) flush() error {
	if err := sp.recW.Flush(); err != nil {
		return fmt.Errorf("dedup spill: write: %w", err)
	}
	if err := sp.nameW.Flush(); err != nil {
		return fmt.Errorf("dedup spill: write: %w", err)
	}
	return nil
}

// chunks is the number of spillChunk-row chunks.
func (sp *spill) chunks() int { return len(sp.chunkOff) }

// readChunk reads chunk c into cb: its recs and the names of those recs,
// back to back (a rec's names follow those of the rec before it). It reads
// with ReadAt only, so goroutines with their own cb may call it at once.
func (sp *spill) readChunk(c int, cb *chunkBuf) ([]rec, []byte, error) {
	first := c << spillChunkBits
	n := min(spillChunk, int(sp.n)-first)
	if cb.recs == nil {
		cb.recs = make([]rec, spillChunk)
	}
	recs := cb.recs[:n]
	if _, err := sp.recF.ReadAt(recsBytes(recs), int64(first)*int64(recSize)); err != nil {
		return nil, nil, fmt.Errorf("dedup spill: read: %w", err)
	}
	end := sp.nameOff
	if c+1 < len(sp.chunkOff) {
		end = sp.chunkOff[c+1]
	}
	size := int(end - sp.chunkOff[c])
	if cap(cb.names) < size {
		cb.names = make([]byte, size)
	}
	names := cb.names[:size]
	if size > 0 {
		if _, err := sp.nameF.ReadAt(names, sp.chunkOff[c]); err != nil {
			return nil, nil, fmt.Errorf("dedup spill: read: %w", err)
		}
	}
	return recs, names, nil
}

// each calls fn for every row in order with its rec and folded names; fn
// must not keep them.
func (sp *spill) each(fn func(i uint32, r *rec, names []byte) error) error {
	for c := range sp.chunks() {
		recs, names, err := sp.readChunk(c, &sp.buf)
		if err != nil {
			return err
		}
		i, off := uint32(c)<<spillChunkBits, 0
		for k := range recs {
			r := &recs[k]
			nl := int(r.flen) + int(r.llen)
			if err := fn(i, r, names[off:off+nl]); err != nil {
				return err
			}
			off += nl
			i++
		}
	}
	return nil
}

// table holds the recs of some rows (mem, sorted) fetched from the spill,
// with their names in a local arena: tab[k] is the rec of row mem[k].
type table struct {
	mem   []uint32
	tab   []rec
	names arena
	buf   chunkBuf
}

// fetch reads the recs of the rows in t.mem (sorted, unique) into t, and
// sets loc[i] for each unless loc is nil. Only chunks holding a member are
// read. Goroutines may fetch at once into tables of their own.
func (sp *spill) fetch(t *table, loc []uint32) error {
	t.tab = growRecs(t.tab, len(t.mem))
	t.names.reset()
	for k := 0; k < len(t.mem); {
		c := int(t.mem[k] >> spillChunkBits)
		recs, names, err := sp.readChunk(c, &t.buf)
		if err != nil {
			return err
		}
		i, off := uint32(c)<<spillChunkBits, 0
		for j := range recs {
			r := &recs[j]
			nl := int(r.flen) + int(r.llen)
			if k < len(t.mem) && t.mem[k] == i {
				out := &t.tab[k]
				*out = *r
				if nl > 0 {
					o, err := t.names.add(names[off : off+nl])
					if err != nil {
						return err
					}
					out.name = o
				}
				if loc != nil {
					loc[i] = uint32(k)
				}
				k++
			}
			off += nl
			i++
		}
	}
	return nil
}

func growRecs(t []rec, n int) []rec {
	if cap(t) < n {
		return make([]rec, n)
	}
	return t[:n]
}

// bucketSet is a set of files of fixed-size entries, one per partition.
type bucketSet struct {
	files []*os.File
	ws    []*bufio.Writer
	count []int
	size  int
}

// newBuckets creates parts bucket files named for their use.
func (sp *spill) newBuckets(name string, parts, size int) (*bucketSet, error) {
	b := &bucketSet{size: size, count: make([]int, parts)}
	for p := range parts {
		f, err := os.Create(filepath.Join(sp.dir, name+"-"+strconv.Itoa(p)+".bin"))
		if err != nil {
			return nil, fmt.Errorf("dedup spill: %w", err)
		}
		sp.buckets = append(sp.buckets, f)
		b.files = append(b.files, f)
		b.ws = append(b.ws, bufio.NewWriterSize(f, 256<<10))
	}
	return b, nil
}

func (b *bucketSet) add(part int, entry []byte) error {
	b.count[part]++
	if _, err := b.ws[part].Write(entry); err != nil {
		return fmt.Errorf("dedup spill: write: %w", err)
	}
	return nil
}

func (b *bucketSet) flush() error {
	for _, w := range b.ws {
		if err := w.Flush(); err != nil {
			return fmt.Errorf("dedup spill: write: %w", err)
		}
	}
	b.ws = nil
	return nil
}

// pairDisk is the size of a blocking entry in a bucket file: its key and
// row, little-endian (a pair's sub is not stored: a quarter fewer bytes
// to write, and temp file writes are what costs at 10M rows).
const pairDisk = 12

func putPair(b []byte, key uint64, idx uint32) {
	binary.LittleEndian.PutUint64(b, key)
	binary.LittleEndian.PutUint32(b[8:], idx)
}

// loadPairs reads bucket part, of pairDisk entries, into p (len = its
// count), in place: the entries are read into p's first bytes, then
// widened from the last, which never overwrites one not yet read.
func (b *bucketSet) loadPairs(part int, p []pair) error {
	if len(p) == 0 {
		return nil
	}
	raw := pairsBytes(p)
	if err := b.load(part, raw[:len(p)*pairDisk]); err != nil {
		return err
	}
	for i := len(p) - 1; i >= 0; i-- {
		e := raw[i*pairDisk : i*pairDisk+pairDisk]
		key, idx := binary.LittleEndian.Uint64(e), binary.LittleEndian.Uint32(e[8:])
		p[i] = pair{key: key, idx: idx}
	}
	return nil
}

// load reads bucket part into dst (len = count*size bytes) and deletes
// the file.
func (b *bucketSet) load(part int, dst []byte) error {
	f := b.files[part]
	if _, err := io.ReadFull(io.NewSectionReader(f, 0, int64(len(dst))), dst); err != nil {
		return fmt.Errorf("dedup spill: read: %w", err)
	}
	f.Truncate(0) //nolint:errcheck // only frees disk early; remove follows
	return nil
}

// remove closes and deletes every spill file.
func (sp *spill) remove() error {
	for _, f := range append([]*os.File{sp.recF, sp.nameF}, sp.buckets...) {
		if f != nil {
			f.Close()
		}
	}
	sp.buckets = nil
	if err := os.RemoveAll(sp.dir); err != nil {
		return fmt.Errorf("dedup spill: %w", err)
	}
	return nil
}
