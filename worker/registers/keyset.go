package registers

import (
	"math/bits"
	"slices"
)

// KeySet is an immutable set of non-zero 64-bit keys: an open-addressing
// hash table with linear probing at a load factor of at most 2/3. A lookup
// costs one multiplication and, for a large set, about one cache miss. A
// set of 3 million keys takes 36 MB. Safe for concurrent use.
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
	size := len(keys) + len(keys)/2 + 8
	s.slots = allocSlots(s, size)
	for _, k := range keys {
		s.insert(k)
	}
	s.buildFilter()
	return s
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

func (s *KeySet) slot(k uint64) uint64 {
	hi, _ := bits.Mul64(k*hashMul, uint64(len(s.slots)))
	return hi
}

func (s *KeySet) insert(k uint64) {
	if k == 0 {
		return
	}
	i := s.slot(k)
	for {
		switch s.slots[i] {
		case 0:
			s.slots[i] = k
			s.n++
			return
		case k:
			return
		}
		i++
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
	i := s.slot(k)
	for {
		v := s.slots[i]
		if v == k {
			return true
		}
		if v == 0 {
			return false
		}
		i++
		if i == uint64(len(s.slots)) {
			i = 0
		}
	}
}

// touch loads what Has of each key loads first (the filter word, else the
// slot) and returns a value made of them, so the loads are not dropped.
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
		t += s.slots[s.slot(k)]
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
