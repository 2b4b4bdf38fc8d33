package gen

import "strings"

// postDir is the generated postal code directory: a fixed subset of the
// codes under every town's prefixes, the same for every seed.
type postDir struct {
	codes []int32       // sorted 5-digit codes
	town  [100000]int16 // town index + 1 per code, 0 if unknown
	upper []string      // towns' names in capitals ("GÖTEBORG")
}

func newPostDir() *postDir {
	d := &postDir{upper: make([]string, len(towns))}
	for ti, t := range towns {
		d.upper[ti] = strings.ToUpper(t.name)
		for _, p := range t.prefixes {
			for xx := 0; xx < 100; xx++ {
				c := p*100 + xx
				if mix64(uint64(c)^0xc0de)%5 < 3 {
					d.town[c] = int16(ti + 1)
				}
			}
		}
	}
	for c := range d.town {
		if d.town[c] != 0 {
			d.codes = append(d.codes, int32(c))
		}
	}
	return d
}

// townOf returns the town index of a code, or -1 if it is not in the directory.
func (d *postDir) townOf(code int) int { return int(d.town[code]) - 1 }

// unknownCode returns a well-formed code (first digit 1-9) that is not in
// the directory.
func (d *postDir) unknownCode(r *rng) int {
	for {
		c := 10000 + r.intn(90000)
		if d.town[c] == 0 {
			return c
		}
	}
}

// appendCode writes a postal code as "NNN NN" or, compact, "NNNNN".
func appendCode(b []byte, code int, compact bool) []byte {
	b = appendDigits(b, uint64(code/100), 3)
	if !compact {
		b = append(b, ' ')
	}
	return appendDigits(b, uint64(code%100), 2)
}

// appendDigits writes n zero-padded to width digits.
func appendDigits(b []byte, n uint64, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for n > 0 || i > len(tmp)-width {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, tmp[i:]...)
}
