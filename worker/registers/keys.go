package registers

import (
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

// E164Key turns an E.164 number ("+46701234567") into its digits as a
// uint64 (46701234567), without allocating. ok is false for anything else.
func E164Key(s string) (uint64, bool) {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return 0, false
	}
	return digitsKey(s[1:])
}

// digitsKey is the value of s, 1 to 15 decimal digits; ok is false if s
// holds anything else. Eight digits are read and checked at a time.
func digitsKey(s string) (uint64, bool) {
	n := len(s)
	if n < 8 {
		var k uint64
		for i := 0; i < n; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			k = k*10 + uint64(c-'0')
		}
		return k, n > 0
	}
	hi, ok := parse8(load8(s))
	if !ok {
		return 0, false
	}
	m := n - 8 // digits after the first eight, 0..7
	if m == 0 {
		return hi, true
	}
	// The last eight bytes overlap the first eight: the overlap (the low
	// 8-m bytes) becomes leading '0's, which leaves the last m digits.
	low := uint64(1)<<(8*(8-m)) - 1
	w := load8(s[n-8:])&^low | zeros&low
	lo, ok := parse8(w)
	if !ok {
		return 0, false
	}
	return hi*pow10[m] + lo, true
}

const zeros = 0x3030303030303030 // "00000000"

var pow10 = [8]uint64{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000}

// load8 is the first eight bytes of s, s[0] lowest.
func load8(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// parse8 is the value of eight ASCII digits loaded by load8 (the first the
// most significant); ok is false if a byte is not a digit.
func parse8(w uint64) (uint64, bool) {
	// A digit has high nibble 3 and stays so when 6 is added.
	if w&(0xF0*ones) != 0x30*ones || (w+0x06*ones)&(0xF0*ones) != 0x30*ones {
		return 0, false
	}
	w -= zeros
	w = w*10 + w>>8 // pairs: byte 2i holds digits 2i,2i+1 as a number
	w = ((w&0x000000FF000000FF)*(100+1000000<<32) + (w>>16&0x000000FF000000FF)*(1+10000<<32)) >> 32
	return w, true
}

// appendE164 writes the E.164 text of a phone key: the canonical phone
// value that forget hashes are computed over.
func appendE164(dst []byte, k uint64) []byte {
	return strconv.AppendUint(append(dst, '+'), k, 10)
}

// pnrKey turns a normalised 12-digit personnummer into a uint64.
func pnrKey(s string) (uint64, bool) {
	if len(s) != 12 {
		return 0, false
	}
	k, ok := digitsKey(s)
	return k, ok && k != 0
}

// hashBytes is the 64-bit key of a folded value (addresses, names), never
// 0 (0 marks an empty KeySet slot). Keys live in memory only (snapshots
// hold phone numbers), so the function may change between versions.
func hashBytes(b []byte) uint64 { return hashWords(b, false) }

// hashString is hashBytes of a string, without allocating.
func hashString(s string) uint64 { return hashWords(s, false) }

// hashLower is hashString of s with ASCII letters lower-cased: e-mail
// addresses match whatever the case (registers store them lower-cased).
func hashLower(s string) uint64 { return hashWords(s, true) }

const (
	hashSeed  = 0xcbf29ce484222325
	hashPrime = 0x100000001b3 | 1<<63 // odd, so every step is a bijection
	ones      = 0x0101010101010101
)

// hashWords hashes s eight bytes at a time: h = (h ^ w) * p per word,
// then a final avalanche. For values of one length every step is a
// bijection, so two values of the same length never collide; the length
// is mixed into the seed. lower folds ASCII A-Z to a-z, a word at a time.
func hashWords[T string | []byte](s T, lower bool) uint64 {
	h := uint64(hashSeed) ^ uint64(len(s))*hashMul
	for len(s) >= 8 {
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		if lower {
			w = lowerWord(w)
		}
		h = (h ^ w) * hashPrime
		s = s[8:]
	}
	if len(s) > 0 {
		var w uint64
		for i := len(s) - 1; i >= 0; i-- {
			w = w<<8 | uint64(s[i])
		}
		if lower {
			w = lowerWord(w)
		}
		h = (h ^ w) * hashPrime
	}
	// murmur3 fmix64: a bijection that spreads every bit over the word.
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	if h == 0 {
		h = 1
	}
	return h
}

// lowerWord lower-cases the ASCII letters A-Z among the eight bytes of w
// (bytes >= 0x80 are left alone).
func lowerWord(w uint64) uint64 {
	const high = 0x80 * ones
	b := w &^ high                  // low seven bits of each byte
	ge := b + (0x80-'A')*ones       // high bit set where b >= 'A'
	gt := b + (0x80-'Z'-1)*ones     // high bit set where b > 'Z'
	upper := (ge &^ gt) &^ w & high // b in A-Z and the byte is ASCII
	return w | upper>>2             // set 0x20
}

// appendLower appends s with ASCII letters lower-cased.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// appendFolded appends the words of parts, lower-cased, separated by one
// space, with leading and trailing white space dropped: "  Anna ",
// "SVENSSON" becomes "anna svensson". Name and street matching is exact
// after this folding (no accent removal: å, ä, ö are distinct letters).
func appendFolded(dst []byte, parts ...string) []byte {
	space := false
	start := len(dst)
	for _, p := range parts {
		space = len(dst) > start
		for i := 0; i < len(p); {
			c := p[i]
			if c < utf8.RuneSelf {
				i++
				if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' {
					space = len(dst) > start
					continue
				}
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				if space {
					dst = append(dst, ' ')
					space = false
				}
				dst = append(dst, c)
				continue
			}
			r, n := utf8.DecodeRuneInString(p[i:])
			i += n
			if unicode.IsSpace(r) {
				space = len(dst) > start
				continue
			}
			if space {
				dst = append(dst, ' ')
				space = false
			}
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
	}
	return dst
}

// appendPostal appends the letters and digits of a postal code, upper-cased:
// "123 45" and "12345" fold alike, as do "00-950" and "00950".
func appendPostal(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9', 'A' <= c && c <= 'Z':
			dst = append(dst, c)
		case 'a' <= c && c <= 'z':
			dst = append(dst, c-('a'-'A'))
		}
	}
	return dst
}

// postalKey is a key of the letters and digits of a postal code, folded
// as appendPostal folds them, without copying: distinct for codes of up
// to 12 letters and digits (base 37, never 0; the empty code is 1).
// Longer codes may share a key, so it only rules matches out.
func postalKey(s string) uint64 {
	k := uint64(1)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			k = k*37 + uint64(c-'0'+1)
		case 'A' <= c && c <= 'Z':
			k = k*37 + uint64(c-'A'+11)
		case 'a' <= c && c <= 'z':
			k = k*37 + uint64(c-'a'+11)
		}
	}
	return k
}

// appendNameAddress is the canonical name+address value:
// "first last|street|postalcode", folded. It is what deceased fallback
// keys and forget name_address hashes are computed over.
func appendNameAddress(dst []byte, first, last, street, postal string) []byte {
	dst = appendFolded(dst, first, last)
	dst = append(dst, '|')
	dst = appendFolded(dst, street)
	dst = append(dst, '|')
	return appendPostal(dst, postal)
}

// appendAddress is the canonical street+postal code value.
func appendAddress(dst []byte, street, postal string) []byte {
	dst = appendFolded(dst, street)
	dst = append(dst, '|')
	return appendPostal(dst, postal)
}

// Dates are held as days since 1970-01-01 (UTC).
type day int32

const noDay day = -1 << 31

func dayOf(t time.Time) day {
	y, m, d := t.Date()
	return day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func (d day) time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

func (d day) String() string { return d.time().Format(time.DateOnly) }

// addMonths adds calendar months as time.AddDate does.
func (d day) addMonths(n int) day { return dayOf(d.time().AddDate(0, n, 0)) }

// parseDay parses YYYY-MM-DD, accepting what time.Parse(time.DateOnly)
// accepts, without its general layout machinery (registers hold a date
// per entry).
func parseDay(s string) (day, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	num := func(from, to int) int {
		v := 0
		for i := from; i < to; i++ {
			c := s[i] - '0'
			if c > 9 {
				return -1
			}
			v = v*10 + int(c)
		}
		return v
	}
	y, m, d := num(0, 4), num(5, 7), num(8, 10)
	if y < 0 || m < 1 || m > 12 || d < 1 {
		return 0, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // time.Date moved a day past the month's end on
		return 0, false
	}
	return day(t.Unix() / 86400), true
}
