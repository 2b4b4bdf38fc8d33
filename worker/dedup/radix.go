package dedup

import (
	"cmp"
	"slices"
)

// pair is one blocking entry: a key and the row it came from. sub orders
// rows inside an oversized block (sorted-neighbourhood window).
type pair struct {
	key uint64
	idx uint32
	sub uint32
}

// radixSort sorts a by key, stably (rows of equal key stay in the order
// they were appended: file order), using tmp (len >= len(a)) as scratch.
// LSD radix with 16-bit digits: four linear passes, no comparisons; passes
// where every key has the same digit are skipped.
func radixSort(a, tmp []pair) {
	radixPasses(a, tmp, 0)
}

// radixSortHashed sorts a by key, stably, like radixSort, for keys that are
// hashes (uniform high bits): two radix passes on the high 32 bits, then
// the rare runs of keys that share their high 32 bits but differ are
// sorted by the whole key. Half the passes of radixSort over the data.
func radixSortHashed(a, tmp []pair) {
	radixPasses(a, tmp, 32)
	for s := 0; s < len(a); {
		hi, mixed := a[s].key>>32, false
		e := s + 1
		for ; e < len(a) && a[e].key>>32 == hi; e++ {
			mixed = mixed || a[e].key != a[s].key
		}
		if mixed {
			slices.SortStableFunc(a[s:e], func(x, y pair) int { return cmp.Compare(x.key, y.key) })
		}
		s = e
	}
}

// radixPasses sorts a stably by the key bits from bit `from` up, 16 bits a
// pass, least significant digit first.
func radixPasses(a, tmp []pair, from uint) {
	if len(a) < 2 {
		return
	}
	tmp = tmp[:len(a)]
	var count [1 << 16]int
	src, dst := a, tmp
	for shift := from; shift < 64; shift += 16 {
		clear(count[:])
		for i := range src {
			count[uint16(src[i].key>>shift)]++
		}
		if count[uint16(src[0].key>>shift)] == len(src) {
			continue
		}
		sum := 0
		for d, c := range count {
			count[d] = sum
			sum += c
		}
		for i := range src {
			d := uint16(src[i].key >> shift)
			dst[count[d]] = src[i]
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &a[0] {
		copy(a, src)
	}
}
