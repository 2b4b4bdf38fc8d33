package dedup

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/listwash/listwash/formats"
)

// The contact index remembers, across deliveries and suppliers, which
// people were bought before: keyed hashes of the strong identifiers
// (personnummer, phone numbers, e-mail) with the supplier, run and date of
// each delivery that held them. It holds no cleartext personal data: a key
// is the first 64 bits of HMAC-SHA256(secret, kind || value), so it cannot
// be reversed by enumerating phone numbers without the secret.
//
// Layout in the store, under IndexPrefix:
//
//	seg/<run_id>.lwix   one segment per committed run, written once with
//	                    PutIfAbsent: the run's distinct keys, sorted.
//
// A segment file is the line "LWIX1", a JSON header line (key id, supplier,
// run id, date, count) and count little-endian uint64 keys in ascending
// order. Concurrent runs never write the same object, so they cannot
// corrupt each other; a reader lists and merges every segment with its own
// key id (a segment under another key cannot be compared and is skipped,
// counted in SkippedSegments). Two runs washing at the same time do not see
// each other; the later of them sees both from then on. Re-committing a run
// is a no-op (the segment exists). Compaction, not implemented yet, would
// merge segments into compact/<generation>.lwix holding (key, segment)
// pairs plus the list of segments it covers; readers would load the newest
// compaction and only the segments it does not cover, and old segments
// would be deleted after a grace period longer than any run.
const IndexPrefix = "contacts/v1/"

const segMagic = "LWIX1\n"

// Index errors.
var (
	ErrNoIndexKey   = errors.New("dedup: LISTWASH_INDEX_KEY not set or shorter than 16 bytes")
	ErrBadRunInfo   = errors.New("dedup: bad run info for the index")
	ErrBadSegment   = errors.New("dedup: bad index segment")
	ErrIndexClosed  = errors.New("dedup: index already committed")
	errShortSegment = fmt.Errorf("%w: truncated", ErrBadSegment)
)

// IndexStore is the part of a store the index needs; infra stores satisfy
// it. Open returns an error matching fs.ErrNotExist for a missing key;
// PutIfAbsent one matching fs.ErrExist when the key exists.
type IndexStore interface {
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	PutIfAbsent(ctx context.Context, key string, data []byte) error
	ListKeys(ctx context.Context, prefix string) ([]string, error)
}

// IndexKey is the HMAC secret of the index and its id, stored beside every
// segment so that a key rotation never mixes incomparable hashes.
type IndexKey struct {
	ID     string
	Secret []byte
}

// IndexKeyFromEnv reads the secret from LISTWASH_INDEX_KEY (at least 16
// bytes) and the id from LISTWASH_INDEX_KEY_ID; without an id, the id is a
// fingerprint of the secret (the first 12 hex digits of a SHA-256 of it).
func IndexKeyFromEnv() (IndexKey, error) {
	secret := os.Getenv("LISTWASH_INDEX_KEY")
	if len(secret) < 16 {
		return IndexKey{}, ErrNoIndexKey
	}
	id := os.Getenv("LISTWASH_INDEX_KEY_ID")
	if id == "" {
		sum := sha256.Sum256([]byte("listwash index key id\x00" + secret))
		id = hex.EncodeToString(sum[:6])
	}
	return IndexKey{ID: id, Secret: []byte(secret)}, nil
}

// RunInfo names the delivery being washed.
type RunInfo struct {
	Supplier string // supplier id as in profiles
	RunID    string // letters, digits, '.', '_', '-'
	Date     string // delivery date, YYYY-MM-DD
}

func (r RunInfo) validate() error {
	ok := func(s string) bool {
		if s == "" || len(s) > 200 {
			return false
		}
		for i := 0; i < len(s); i++ {
			c := s[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
				return false
			}
		}
		return s[0] != '.'
	}
	if !ok(r.RunID) || !ok(r.Supplier) || parseDate(r.Date) == 0 {
		return fmt.Errorf("%w: supplier and run id must be [A-Za-z0-9._-], date YYYY-MM-DD", ErrBadRunInfo)
	}
	return nil
}

type segHeader struct {
	KeyID    string `json:"key_id"`
	Supplier string `json:"supplier"`
	RunID    string `json:"run_id"`
	Date     string `json:"date"`
	Count    int    `json:"count"`
}

// Index is the contact index as of the start of a run, plus the keys this
// run adds. Marker and Done are safe for concurrent use; Commit once.
type Index struct {
	st  IndexStore
	key IndexKey
	run RunInfo

	segs   []segHeader // loaded segments, by date then run id
	labels []string    // "supplier/run_id/date" per segment
	keys   []uint64    // every key of every segment, ascending
	segOf  []uint32    // segment of keys[i]; for equal keys, earliest first

	skipped int
	markers sync.Pool

	mu        sync.Mutex
	pending   []uint64
	committed bool
}

// OpenIndex loads every segment of the index (except one of run.RunID
// itself, so that a re-run is not "seen before" by its own first attempt).
func OpenIndex(ctx context.Context, st IndexStore, key IndexKey, run RunInfo) (*Index, error) {
	if len(key.Secret) < 16 || key.ID == "" {
		return nil, ErrNoIndexKey
	}
	if err := run.validate(); err != nil {
		return nil, err
	}
	ix := &Index{st: st, key: key, run: run}
	names, err := st.ListKeys(ctx, IndexPrefix+"seg/")
	if err != nil {
		return nil, fmt.Errorf("list index segments: %w", err)
	}
	type loaded struct {
		h    segHeader
		keys []uint64
	}
	var segs []loaded
	total := 0
	for _, name := range names {
		if !strings.HasSuffix(name, ".lwix") || name == ix.segKey() {
			continue
		}
		h, keys, err := readSegment(ctx, st, name, key.ID)
		if errors.Is(err, errOtherKey) {
			ix.skipped++
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read index segment %s: %w", name, err)
		}
		segs = append(segs, loaded{h, keys})
		total += len(keys)
	}
	slices.SortFunc(segs, func(a, b loaded) int {
		if c := strings.Compare(a.h.Date, b.h.Date); c != 0 {
			return c
		}
		return strings.Compare(a.h.RunID, b.h.RunID)
	})
	p := make([]pair, 0, total)
	for i, s := range segs {
		ix.segs = append(ix.segs, s.h)
		ix.labels = append(ix.labels, s.h.Supplier+"/"+s.h.RunID+"/"+s.h.Date)
		for _, k := range s.keys {
			p = append(p, pair{key: k, idx: uint32(i)})
		}
	}
	radixSort(p, make([]pair, len(p))) // stable: earliest segment first per key
	ix.keys, ix.segOf = make([]uint64, len(p)), make([]uint32, len(p))
	for i, e := range p {
		ix.keys[i], ix.segOf[i] = e.key, e.idx
	}
	return ix, nil
}

var errOtherKey = errors.New("segment under another key id")

func readSegment(ctx context.Context, st IndexStore, name, keyID string) (segHeader, []uint64, error) {
	var h segHeader
	rc, err := st.Open(ctx, name)
	if err != nil {
		return h, nil, err
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 1<<16)
	magic := make([]byte, len(segMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != segMagic {
		return h, nil, fmt.Errorf("%w: magic", ErrBadSegment)
	}
	line, err := br.ReadBytes('\n')
	if err != nil {
		return h, nil, errShortSegment
	}
	if err := json.Unmarshal(line, &h); err != nil || h.Count < 0 {
		return h, nil, fmt.Errorf("%w: header", ErrBadSegment)
	}
	if h.KeyID != keyID {
		return h, nil, errOtherKey
	}
	keys := make([]uint64, h.Count)
	var b [8]byte
	for i := range keys {
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return h, nil, errShortSegment
		}
		keys[i] = binary.LittleEndian.Uint64(b[:])
	}
	return h, keys, nil
}

// SkippedSegments counts segments written under another key id.
func (ix *Index) SkippedSegments() int { return ix.skipped }

// Segments is the number of segments loaded.
func (ix *Index) Segments() int { return len(ix.segs) }

// Supplier is the supplier of the run.
func (ix *Index) Supplier() string { return ix.run.Supplier }

func (ix *Index) segKey() string { return segmentKey(ix.run.RunID) }

func segmentKey(runID string) string { return IndexPrefix + "seg/" + runID + ".lwix" }

// Seen is what the index knows about one row.
type Seen struct {
	// Label is "supplier/run_id/date" of the earliest delivery that held any
	// of the row's identifiers; "" when none did.
	Label string
	// SameSupplier: an earlier delivery of this run's supplier held it.
	SameSupplier bool
	// Others are the other suppliers that sold it, each once, in no order.
	// The slice is reused by the next Mark.
	Others []string
}

// Marker computes the keyed hashes of rows and looks them up. One
// goroutine uses a Marker at a time; get one from Marker, return it with
// Done.
type Marker struct {
	ix   *Index
	mac  hash.Hash
	buf  []byte
	sum  []byte
	keys []uint64
	segs []uint32
	seen Seen
}

// Marker returns a Marker for one goroutine.
func (ix *Index) Marker() *Marker {
	if m, ok := ix.markers.Get().(*Marker); ok {
		return m
	}
	return &Marker{ix: ix, mac: hmac.New(sha256.New, ix.key.Secret)}
}

// Done hands the keys the marker computed to the index (for Commit) and
// returns the marker to the pool.
func (m *Marker) Done() {
	ix := m.ix
	ix.mu.Lock()
	ix.pending = append(ix.pending, m.keys...)
	ix.mu.Unlock()
	m.keys = m.keys[:0]
	ix.markers.Put(m)
}

func (m *Marker) key(kind byte, v string, lower bool) uint64 {
	m.buf = append(m.buf[:0], kind, ':')
	if lower {
		m.buf = appendLower(m.buf, v)
	} else {
		m.buf = append(m.buf, v...)
	}
	m.mac.Reset()
	m.mac.Write(m.buf)
	m.sum = m.mac.Sum(m.sum[:0])
	return binary.BigEndian.Uint64(m.sum)
}

// Mark computes the row's keys (valid personnummer, every valid phone,
// valid e-mail), remembers them for Commit and returns what the index
// knew before this run. The returned Seen is valid until the next Mark.
func (m *Marker) Mark(row *formats.Row) *Seen {
	start := len(m.keys)
	if row.PNRValid && row.PNR != "" {
		m.keys = append(m.keys, m.key('p', row.PNR, false))
	}
	for _, p := range [...]string{row.MobileE164, row.PhoneE164} {
		if p != "" {
			m.keys = append(m.keys, m.key('t', p, false))
		}
	}
	for _, p := range row.Phones {
		if p != "" {
			m.keys = append(m.keys, m.key('t', p, false))
		}
	}
	if row.EmailValid && row.Email != "" {
		m.keys = append(m.keys, m.key('e', row.Email, true))
	}
	return m.lookup(m.keys[start:])
}

func (m *Marker) lookup(keys []uint64) *Seen {
	ix := m.ix
	s := &m.seen
	s.Label, s.SameSupplier, s.Others = "", false, s.Others[:0]
	first := uint32(len(ix.segs))
	m.segs = m.segs[:0]
	for _, k := range keys {
		i, found := slices.BinarySearch(ix.keys, k)
		if !found {
			continue
		}
		first = min(first, ix.segOf[i]) // earliest segment sorts first
		for ; i < len(ix.keys) && ix.keys[i] == k; i++ {
			if !slices.Contains(m.segs, ix.segOf[i]) {
				m.segs = append(m.segs, ix.segOf[i])
			}
		}
	}
	if first == uint32(len(ix.segs)) {
		return s
	}
	s.Label = ix.labels[first]
	for _, g := range m.segs {
		sup := ix.segs[g].Supplier
		switch {
		case sup == ix.run.Supplier:
			s.SameSupplier = true
		case !slices.Contains(s.Others, sup):
			s.Others = append(s.Others, sup)
		}
	}
	return s
}

// Commit writes this run's segment. Call it once the run's manifest is
// written; until then nothing of the run is visible to other runs.
// Committing a run whose segment already exists is a no-op.
func (ix *Index) Commit(ctx context.Context) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.committed {
		return ErrIndexClosed
	}
	if err := CommitKeys(ctx, ix.st, ix.key, ix.run, ix.pending); err != nil {
		return err
	}
	ix.committed = true
	ix.pending = nil
	return nil
}

// PendingKeys returns the keys the run's markers computed so far, sorted
// and without repeats. A run whose rows are marked by several processes
// (the chunks of a distributed run) collects them with PendingKeys in each
// and commits them once with CommitKeys. They are keyed hashes, no
// cleartext.
func (ix *Index) PendingKeys() []uint64 {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	keys := slices.Clone(ix.pending)
	slices.Sort(keys)
	return slices.Compact(keys)
}

// CommitKeys writes the segment of run with keys (as PendingKeys returns
// them, from one or more Indexes of that run). A segment that already
// exists is left as it is.
func CommitKeys(ctx context.Context, st IndexStore, key IndexKey, run RunInfo, keys []uint64) error {
	if err := run.validate(); err != nil {
		return err
	}
	keys = slices.Clone(keys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	hdr, err := json.Marshal(segHeader{KeyID: key.ID, Supplier: run.Supplier,
		RunID: run.RunID, Date: run.Date, Count: len(keys)})
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.Grow(len(segMagic) + len(hdr) + 1 + 8*len(keys))
	b.WriteString(segMagic)
	b.Write(hdr)
	b.WriteByte('\n')
	var kb [8]byte
	for _, k := range keys {
		binary.LittleEndian.PutUint64(kb[:], k)
		b.Write(kb[:])
	}
	err = st.PutIfAbsent(ctx, segmentKey(run.RunID), b.Bytes())
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("commit index segment: %w", err)
	}
	return nil
}
