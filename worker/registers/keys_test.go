package registers

import (
	"strings"
	"testing"
)

func TestHashLower(t *testing.T) {
	for _, c := range []struct{ name, s string }{
		{"empty", ""},
		{"short", "Ab@c.SE"},
		{"one word", "ABCDEFGH"},
		{"words and tail", "Anna.Svensson@Exempel.SE"},
		{"edges", "@AZ[`az{"},
		{"non-ascii kept", "ÅSA.ÖBERG@EXEMPEL.SE"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got, want := hashLower(c.s), hashString(asciiLower(c.s)); got != want {
				t.Errorf("hashLower = %x, hashString of the lowered value = %x", got, want)
			}
			if c.s != asciiLower(c.s) && hashString(c.s) == hashLower(c.s) {
				t.Error("case ignored without lower")
			}
			if hashString(c.s) != hashBytes([]byte(c.s)) {
				t.Error("hashString and hashBytes differ")
			}
		})
	}
}

func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

func TestLowerWordEveryByte(t *testing.T) {
	// Every byte value at every position, beside 'Z' and 0xC3 neighbours
	// (no carry or borrow may leak between bytes).
	for b := range 256 {
		want := uint64(b)
		if 'A' <= b && b <= 'Z' {
			want += 'a' - 'A'
		}
		for pos := range 8 {
			for _, fill := range []uint64{0, 'Z', 0xC3, 0xFF} {
				var w, exp uint64
				for i := range 8 {
					v, e := fill, fill
					if fill == 'Z' {
						e = 'z'
					}
					if i == pos {
						v, e = uint64(b), want
					}
					w |= v << (8 * i)
					exp |= e << (8 * i)
				}
				if got := lowerWord(w); got != exp {
					t.Fatalf("byte %#x at %d among %#x: %#x, want %#x", b, pos, fill, got, exp)
				}
			}
		}
	}
}

// Values of one length never collide (each step is a bijection).
func TestHashSameLengthDistinct(t *testing.T) {
	seen := map[uint64]string{}
	for i := range 200000 {
		s := strings.Repeat("x", i%3) + "user" + string(rune('a'+i%26)) + "@" + itoa(i) + ".se"
		h := hashString(s)
		if o, dup := seen[h]; dup && o != s {
			t.Fatalf("collision: %q %q", o, s)
		}
		seen[h] = s
	}
}

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	for {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			break
		}
	}
	return string(b[n:])
}
