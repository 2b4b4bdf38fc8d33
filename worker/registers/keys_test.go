package registers

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
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

func TestPostalKey(t *testing.T) {
	for _, c := range []struct {
		name string
		a, b string
		same bool
	}{
		{"space ignored", "123 45", "12345", true},
		{"dash ignored", "00-950", "00950", true},
		{"case folded", "sw1a 1aa", "SW1A1AA", true},
		{"digits differ", "12345", "12346", false},
		{"prefix differs", "1234", "12345", false},
		{"leading zero kept", "01234", "1234", false},
		{"letter and digit", "A", "0", false},
		{"empty and zero", "", "0", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ka, kb := postalKey(c.a), postalKey(c.b)
			if (ka == kb) != c.same {
				t.Errorf("postalKey(%q) = %d, postalKey(%q) = %d", c.a, ka, c.b, kb)
			}
			if ka == 0 || kb == 0 {
				t.Error("zero key")
			}
		})
	}
}

// Sets with a filter (small) and without (large) answer alike, and touch
// reads what Has reads first.
func TestKeySetSizes(t *testing.T) {
	for _, c := range []struct {
		name   string
		n      int
		filter bool
	}{
		{"one key", 1, true},
		{"small", 1000, true},
		{"largest filtered", filterMaxKeys, true},
		{"unfiltered", filterMaxKeys + 1, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(5, uint64(c.n)))
			keys := make([]uint64, c.n)
			in := make(map[uint64]bool, c.n)
			for i := range keys {
				keys[i] = r.Uint64() | 1
				in[keys[i]] = true
			}
			ks := newKeySet(keys)
			if (ks.filter != nil) != c.filter {
				t.Fatalf("filter %v, want %v", ks.filter != nil, c.filter)
			}
			for _, k := range keys {
				if !ks.Has(k) {
					t.Fatalf("key %x not found", k)
				}
			}
			fp := 0
			for range 100000 {
				k := r.Uint64()
				if ks.Has(k) != in[k] {
					t.Fatalf("Has(%x) = %v", k, !in[k])
				}
				if c.filter && !in[k] {
					if b := (k * hashMul) >> ks.fshift; ks.filter[b>>6]&(1<<(b&63)) != 0 {
						fp++
					}
				}
			}
			if fp > 5000 {
				t.Errorf("filter passes %d of 100000 absent keys, want about 3%%", fp)
			}
			if ks.touch(keys[:1]) == 0 {
				t.Error("touch read an empty word for a present key")
			}
		})
	}
}

// refDigits is the byte-at-a-time reading digitsKey replaced.
func refDigits(s string) (uint64, bool) {
	var k uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		k = k*10 + uint64(c-'0')
	}
	return k, len(s) > 0
}

func TestE164KeyAndPNRKey(t *testing.T) {
	for _, c := range []struct {
		name, s string
		want    uint64
		ok      bool
	}{
		{"mobile", "+46701234567", 46701234567, true},
		{"shortest", "+12", 12, true},
		{"seven digits", "+4612345", 4612345, true},
		{"eight digits", "+46123456", 46123456, true},
		{"nine digits", "+461234567", 461234567, true},
		{"fifteen digits", "+999999999999999", 999999999999999, true},
		{"sixteen digits", "+1234567890123456", 0, false},
		{"no plus", "46701234567", 0, false},
		{"leading zero", "+0701234567", 0, false},
		{"letter in first eight", "+4670a234567", 0, false},
		{"letter in tail", "+467012345x7", 0, false},
		{"space", "+46 70123456", 0, false},
		{"colon (0x3A)", "+4670123456:", 0, false},
		{"slash (0x2F)", "+46701/34567", 0, false},
		{"high byte", "+46701\xff34567", 0, false},
		{"plus only", "+", 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			k, ok := E164Key(c.s)
			if ok != c.ok || ok && k != c.want {
				t.Errorf("E164Key(%q) = %d, %v; want %d, %v", c.s, k, ok, c.want, c.ok)
			}
		})
	}
	// Every length and every byte at every position, against the
	// byte-at-a-time reading.
	base := "123456789012345"
	for n := 1; n <= 15; n++ {
		for pos := 0; pos < n; pos++ {
			for b := range 256 {
				s := []byte(base[:n])
				s[pos] = byte(b)
				k, ok := digitsKey(string(s))
				rk, rok := refDigits(string(s))
				if ok != rok || k != rk {
					t.Fatalf("digitsKey(%q) = %d, %v; want %d, %v", s, k, ok, rk, rok)
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(9, 9))
	for range 200000 {
		n := 1 + r.IntN(15)
		s := make([]byte, n)
		for i := range s {
			s[i] = byte('0' + r.IntN(10))
		}
		k, ok := digitsKey(string(s))
		if rk, _ := refDigits(string(s)); !ok || k != rk {
			t.Fatalf("digitsKey(%q) = %d, %v; want %d", s, k, ok, rk)
		}
	}
	if _, ok := pnrKey("000000000000"); ok {
		t.Error("pnrKey of zeros")
	}
	if k, ok := pnrKey("198112289874"); !ok || k != 198112289874 {
		t.Errorf("pnrKey = %d, %v", k, ok)
	}
}

// TestParseDay: parseDay accepts exactly what time.Parse(time.DateOnly)
// accepts, and gives the same day.
func TestParseDay(t *testing.T) {
	in := []string{"2026-11-01", "2024-02-29", "2023-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00",
		"0000-01-01", "9999-12-31", "1970-01-01", "1969-12-31", "2026-1-01", "2026-01-1", "26-01-01", "2026/01/01",
		"2026-01-01 ", " 2026-01-01", "2026-01-0a", "２026-01-01", "", "2026-01-01T00:00:00Z", "+026-01-01", "2026-+1-01"}
	for d := time.Date(1899, 12, 25, 0, 0, 0, 0, time.UTC); d.Year() < 2101; d = d.AddDate(0, 0, 13) {
		in = append(in, d.Format(time.DateOnly))
	}
	for _, s := range in {
		got, ok := parseDay(s)
		tm, err := time.Parse(time.DateOnly, s)
		if ok != (err == nil) || ok && got != dayOf(tm) {
			t.Errorf("parseDay(%q) = %v, %v; time.Parse: %v, %v", s, got, ok, tm, err)
		}
	}
}

// TestCompaniesIdOf: the written forms of one company share its id, and
// an empty name is no company.
func TestCompaniesIdOf(t *testing.T) {
	var cs companies
	a := cs.idOf("Acme AB")
	for _, w := range []string{"acme ab", " ACME AB ", "Acme AB", "\tAcme AB"} {
		if got := cs.idOf(w); got != a {
			t.Errorf("idOf(%q) = %d, want %d", w, got, a)
		}
	}
	if b := cs.idOf("Beta AB"); b == a || b == noCompany {
		t.Errorf("idOf(Beta AB) = %d", b)
	}
	if got := cs.idOf("  "); got != noCompany {
		t.Errorf("idOf(blank) = %d, want noCompany", got)
	}
	if cs.find("acme ab") != a || cs.find("gamma") != noCompany {
		t.Errorf("find: %d %d", cs.find("acme ab"), cs.find("gamma"))
	}
}
