package registers

import (
	"math/bits"
	"slices"
)

// KeySet is an immutable set of non-zero 64-bit keys: an open-addressing
// hash table at a load factor of at most 2/3, probed linearly by buckets
// of eight slots, one cache line: a key goes to the first empty slot from
// its bucket on. A lookup costs one multiplication and, for a large set,
// about one cache miss; it compares the eight slots of a bucket without a
// branch on each, and needs the next bucket only when the bucket is full
// (about one in eight at 2/3). A set of 3 million keys takes 36 MB. Safe
// for concurrent use.
//
// A set of up to filterMaxKeys keys also has a one-bit-per-key filter of
// 32 bits per key: most keys looked up in such a set (do-not-call,
// deceased, Robinson) are not in it, and the filter rules out about 97% of
// them with one load and a well-predicted branch, where probing the table
// costs a branch on the loaded slots that is often mispredicted.
type KeySet struct {
	slots  []uint64 // 0 = empty
	n      int
	filter []uint64 // bit (k*hashMul)>>fshift set for every key; nil: none
	fshift uint
}

// filterMaxKeys is the largest set that gets a filter: larger filters
// would not stay in the caches either.
const filterMaxKeys = 1 << 18

// hashMul is the 64-bit golden-ratio multiplier (Fibonacci hashing).
const hashMul = 0x9E3779B97F4A7C15

// newKeySet builds a set from keys; zero keys are ignored, duplicates
// collapse. keys is not retained.
func newKeySet(keys []uint64) *KeySet {
	s := &KeySet{}
	s.slots = allocSlots(s, tableSize(len(keys)))
	s.insertAll(keys)
	s.buildFilter()
	return s
}

// insertAll inserts keys. Inserting a large set key by key would cost a
// cache miss per key (a 3-million-key table is 36 MB); so the keys are
// first partitioned by their hash's top bits, which order them as the
// buckets are ordered, and inserted partition by partition: each
// partition's buckets, about 16 KB, stay in the caches while it is
// inserted.
func (s *KeySet) insertAll(keys []uint64) {
	const span = 16 << 10 // bytes of table per partition
	p := 0
	for (len(s.slots)*8)>>p > span {
		p++
	}
	if p < 4 || len(keys) < 1<<16 {
		for _, k := range keys {
			s.insert(k)
		}
		return
	}
	shift := uint(64 - p)
	pos := make([]int, 1<<p+1)
	for _, k := range keys {
		pos[(k*hashMul)>>shift+1]++
	}
	for i := 1; i < len(pos); i++ {
		pos[i] += pos[i-1]
	}
	sorted := make([]uint64, len(keys))
	for _, k := range keys {
		j := (k * hashMul) >> shift
		sorted[pos[j]] = k
		pos[j]++
	}
	for _, k := range sorted {
		s.insert(k)
	}
}

// buildFilter builds the filter of a small set, once its keys are in.
func (s *KeySet) buildFilter() {
	if s.n == 0 || s.n > filterMaxKeys {
		return
	}
	size := uint(512)
	for size < uint(32*s.n) {
		size <<= 1
	}
	s.fshift = 64 - uint(bits.TrailingZeros(size))
	s.filter = make([]uint64, size/64)
	for _, k := range s.slots {
		if k != 0 {
			b := (k * hashMul) >> s.fshift
			s.filter[b>>6] |= 1 << (b & 63)
		}
	}
}

// bucketSlots is the slots of a bucket: 64 bytes, one cache line (the
// slots of a large set are page-aligned).
const bucketSlots = 8

// tableSize is the slots of a set of n keys: a load factor of at most 2/3,
// in whole buckets.
func tableSize(n int) int {
	return (n + n/2 + bucketSlots + bucketSlots - 1) &^ (bucketSlots - 1)
}

// bucket is the index of the first slot of k's bucket.
func (s *KeySet) bucket(k uint64) uint64 {
	hi, _ := bits.Mul64(k*hashMul, uint64(len(s.slots)/bucketSlots))
	return hi * bucketSlots
}

func (s *KeySet) insert(k uint64) {
	if k == 0 {
		return
	}
	i := s.bucket(k)
	for {
		b := (*[bucketSlots]uint64)(s.slots[i:])
		if zero(b[0]^k)|zero(b[1]^k)|zero(b[2]^k)|zero(b[3]^k)|
			zero(b[4]^k)|zero(b[5]^k)|zero(b[6]^k)|zero(b[7]^k) != 0 {
			return
		}
		// Buckets fill from the front: the used slots are the non-zero ones.
		used := bucketSlots - (zero(b[0]) + zero(b[1]) + zero(b[2]) + zero(b[3]) +
			zero(b[4]) + zero(b[5]) + zero(b[6]) + zero(b[7]))
		if used < bucketSlots {
			b[used] = k
			s.n++
			return
		}
		i += bucketSlots
		if i == uint64(len(s.slots)) {
			i = 0
		}
	}
}

// Has reports whether k is in the set. A nil set is empty.
func (s *KeySet) Has(k uint64) bool {
	if s == nil || s.n == 0 || k == 0 {
		return false
	}
	if s.filter != nil {
		if b := (k * hashMul) >> s.fshift; s.filter[b>>6]&(1<<(b&63)) == 0 {
			return false
		}
	}
	i := s.bucket(k)
	for {
		b := (*[bucketSlots]uint64)(s.slots[i:])
		if zero(b[0]^k)|zero(b[1]^k)|zero(b[2]^k)|zero(b[3]^k)|
			zero(b[4]^k)|zero(b[5]^k)|zero(b[6]^k)|zero(b[7]^k) != 0 {
			return true
		}
		if b[bucketSlots-1] == 0 { // not full: k would be here
			return false
		}
		i += bucketSlots
		if i == uint64(len(s.slots)) {
			i = 0
		}
	}
}

// zero is 1 if d is 0, else 0, without a branch: the top bit of d | -d
// is set for every d but 0.
func zero(d uint64) uint64 { return ^(d | -d) >> 63 }

// touch loads what Has of each key loads first (the filter word, else the
// bucket) and returns a value made of them, so the loads are not dropped.
// Without a branch on the values the loop runs ahead and the cache misses
// of many keys overlap; the lookups that follow find them in the caches.
// s must not be empty.
func (s *KeySet) touch(keys []uint64) uint64 {
	var t uint64
	if s.filter != nil {
		for _, k := range keys {
			t += s.filter[(k*hashMul)>>s.fshift>>6]
		}
		return t
	}
	for _, k := range keys {
		t += s.slots[s.bucket(k)]
	}
	return t
}

// Len is the number of keys.
func (s *KeySet) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// Bytes is the memory the set holds.
func (s *KeySet) Bytes() int64 {
	if s == nil {
		return 0
	}
	return int64(len(s.slots))*8 + int64(len(s.filter))*8
}

// Sorted returns the keys in ascending order (for snapshots).
func (s *KeySet) Sorted() []uint64 {
	if s == nil {
		return nil
	}
	out := make([]uint64, 0, s.n)
	for _, v := range s.slots {
		if v != 0 {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}
