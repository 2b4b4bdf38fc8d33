package gen

import "math/bits"

// rng is splitmix64: tiny, fast, and stable across Go versions (the files
// must not change when math/rand does).
type rng struct{ s uint64 }

func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// newRNG returns the generator of one stream (row choices, one person...).
func newRNG(seed, stream, id uint64) rng {
	return rng{s: mix64(seed^0x5851f42d4c957f2d) ^ mix64(stream*0x9e3779b97f4a7c15+id)}
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// intn returns a number in [0, n); n must be positive.
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// chance reports true with probability p.
func (r *rng) chance(p float64) bool {
	return float64(r.next()>>11)*(1.0/(1<<53)) < p
}

// pick returns a random element of s.
func pick[T any](r *rng, s []T) T { return s[r.intn(len(s))] }

// perm is a keyed permutation of [0, n): a balanced Feistel network over
// the next even power of two, cycle-walked into range. It gives every person
// a distinct phone number without remembering which numbers are taken.
type perm struct {
	n    uint64
	half uint
	mask uint64
	keys [4]uint64
}

func newPerm(n, seed, stream uint64) perm {
	b := uint(bits.Len64(n - 1))
	if b%2 == 1 {
		b++
	}
	p := perm{n: n, half: b / 2, mask: 1<<(b/2) - 1}
	r := newRNG(seed, stream, 0)
	for i := range p.keys {
		p.keys[i] = r.next()
	}
	return p
}

// at returns the image of x, which must be below n.
func (p *perm) at(x uint64) uint64 {
	for {
		l, r := x>>p.half, x&p.mask
		for _, k := range p.keys {
			l, r = r, l^(mix64(r^k)&p.mask)
		}
		x = l<<p.half | r
		if x < p.n {
			return x
		}
	}
}
