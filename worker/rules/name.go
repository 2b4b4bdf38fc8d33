package rules

import (
	"encoding/binary"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// NormaliseName cleans one name part (given names or family name):
// trimmed, white space collapsed, Unicode NFC. A name written all in upper
// case or all in lower case is title-cased; a mixed-case name is kept as
// sent (it was written by someone who knew: "McDonald", "von Essen").
//
// Title case capitalises each word and each part after a hyphen
// ("anna-karin" -> "Anna-Karin"), the letter after a one-letter prefix and
// an apostrophe ("o'brien" -> "O'Brien"), and the letter after "Mc"
// ("mcdonald" -> "McDonald"; "Mac" is left alone: Mack, Macke, Macedo).
// The particles af, av, von, van, der, den, de, da, di, du, la, le, del,
// dos, das, des, ten, ter, zu stay lower case when another word follows
// ("VON ESSEN" -> "von Essen").
func NormaliseName(raw string, a *Arena) string {
	s := raw
	if needTrim(s) {
		s = trimSpace(s)
	}
	if s == "" {
		return ""
	}
	var all uint8 // nameClass bits seen
	needCollapse, needNFC := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		k := nameClass[c]
		if k&(ncSpace|ncHigh) == 0 {
			all |= k
			continue
		}
		if k&ncSpace != 0 {
			if i > 0 && s[i-1] == ' ' {
				needCollapse = true
			}
			continue
		}
		if c == 0xC3 && i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
			// U+00C0-U+00FF: never changed by NFC.
			i++
			all |= latin1Class[s[i]&0x3F]
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size - 1
		if r >= 0x300 {
			// Runes below U+0300 are never changed by NFC (none is
			// NFC_QC=No or Maybe); above, let the norm package decide.
			needNFC = true
		}
		switch {
		case r == 0xA0:
			needCollapse = true
		case unicode.IsUpper(r):
			all |= ncUpper
		case unicode.IsLower(r):
			all |= ncLower
		}
	}
	needCollapse = needCollapse || all&ncCollapse != 0
	hasUpper, hasLower := all&ncUpper != 0, all&ncLower != 0
	return buildName(s, hasUpper && hasLower, needCollapse, needNFC, a)
}

// buildName finishes NormaliseName for the trimmed, scanned s: mixed when
// it has upper- and lower-case letters, needCollapse when its white space
// is not single spaces, needNFC when it has a rune from U+0300 on.
func buildName(s string, mixed, needCollapse, needNFC bool, a *Arena) string {
	if needNFC && !norm.NFC.IsNormalString(s) {
		return NormaliseName(norm.NFC.String(s), a) // rare: decomposed input
	}
	if mixed && !needCollapse {
		return s
	}
	if !mixed && s != "" {
		// One word of ASCII letters and U+00C0-U+00FE all in one case
		// (anna, ANNA, åsa): the title case of appendTitleWord without
		// its per-letter branches. Lower case first, then the first
		// letter up.
		b := a.Reserve(len(s))[:len(s)]
		i := 0
		for i < len(s) {
			c := s[i]
			if c < 0x80 {
				if !isASCIILetter(c) {
					break
				}
				b[i] = c | 0x20
				i++
				continue
			}
			if c != 0xC3 || i+1 >= len(s) || s[i+1]&0xC0 != 0x80 || s[i+1] == 0xBF {
				break
			}
			x := s[i+1]
			if latin1Class[x&0x3F] == ncUpper {
				x += 0x20
			}
			b[i], b[i+1] = 0xC3, x
			i += 2
		}
		if i == len(s) {
			titleLetter(b, 0)
			if len(b) >= 4 && b[0] == 'M' && b[1] == 'c' {
				titleLetter(b, 2) // Mc + letter: McDonald
			}
			return a.Commit(b)
		}
	}
	b := a.Reserve(len(s) + 4)
	word := 0
	for i := 0; i < len(s); {
		for i < len(s) && (isSpace(s[i]) || (s[i] == 0xC2 && i+1 < len(s) && s[i+1] == 0xA0)) {
			if s[i] == 0xC2 {
				i++
			}
			i++
		}
		if i >= len(s) {
			break
		}
		j := i
		for j < len(s) && !isSpace(s[j]) && !(s[j] == 0xC2 && j+1 < len(s) && s[j+1] == 0xA0) {
			j++
		}
		if word > 0 {
			b = append(b, ' ')
		}
		w := s[i:j]
		if mixed {
			b = append(b, w...)
		} else {
			b = appendTitleWord(b, w, j < len(s) && strings.TrimSpace(s[j:]) != "")
		}
		word++
		i = j
	}
	return a.Commit(b)
}

// Byte classes for NormaliseName's scan.
const (
	ncUpper    = 1 << iota // ASCII upper-case letter
	ncLower                // ASCII lower-case letter
	ncSpace                // ' '
	ncCollapse             // other ASCII white space: always collapsed
	ncHigh                 // a byte of a multi-byte sequence
)

var nameClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		switch {
		case b >= 0x80:
			t[c] = ncHigh
		case b >= 'A' && b <= 'Z':
			t[c] = ncUpper
		case b >= 'a' && b <= 'z':
			t[c] = ncLower
		case b == ' ':
			t[c] = ncSpace
		case isSpace(b):
			t[c] = ncCollapse
		}
	}
	return t
}()

// latin1Class is the case of U+00C0-U+00FF, indexed by the low six bits
// of the second UTF-8 byte (0xC3 0x80-0xBF): as unicode.IsUpper/IsLower.
var latin1Class = func() (t [64]uint8) {
	for i := range t {
		r := rune(0xC0 + i)
		switch {
		case unicode.IsUpper(r):
			t[i] = ncUpper
		case unicode.IsLower(r):
			t[i] = ncLower
		}
	}
	return t
}()

// belowCombining reports whether every rune of s is below U+0300. Such a
// string is in NFC already: no code point below the combining diacritical
// marks changes under NFC (none is NFC_QC=No or Maybe).
func belowCombining(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 {
			continue
		}
		// Lead bytes 0xC2-0xCB encode U+0080-U+02FF.
		if c >= 0xCC || c < 0xC2 && c >= 0xC0 {
			return false
		}
		if c >= 0xC2 {
			i++ // skip the continuation byte
		}
	}
	return true
}

var nameParticles = [...]string{"af", "av", "von", "van", "der", "den", "de", "da", "di", "du", "la", "le", "del", "dos", "das", "des", "ten", "ter", "zu"}

func appendTitleWord(b []byte, w string, more bool) []byte {
	if more {
		for _, p := range nameParticles {
			if equalFoldASCII(w, p) {
				for i := 0; i < len(w); i++ {
					b = append(b, w[i]|0x20)
				}
				return b
			}
		}
	}
	segStart := true // next letter starts a segment: upper case
	segLen := 0
	for i := 0; i < len(w); {
		var r rune
		switch c := w[i]; {
		case c < 0x80 && c != '-' && c != '\'':
			// ASCII: the case change of unicode.ToUpper/ToLower by hand.
			i++
			if segStart {
				if c >= 'a' && c <= 'z' {
					c -= 'a' - 'A'
				}
				segStart = false
			} else {
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				// Mc + letter: McDonald.
				if segLen == 1 && c == 'c' && b[len(b)-1] == 'M' && i < len(w) && len(w)-i >= 2 {
					b = append(b, 'c')
					segLen++
					segStart = true
					continue
				}
			}
			b = append(b, c)
			segLen++
			continue
		case c < 0x80:
			r = rune(c)
			i++
		case c == 0xC3 && i+1 < len(w) && w[i+1]&0xC0 == 0x80 && w[i+1] != 0xBF:
			// U+00C0-U+00FE: upper and lower case differ by 0x20 in the
			// second byte (ÿ, whose upper case is U+0178, takes the
			// general path; ß has no single upper-case letter).
			x := w[i+1]
			i += 2
			k := latin1Class[x&0x3F]
			if segStart {
				if k == ncLower && x != 0x9F {
					x -= 0x20
				}
				segStart = false
			} else if k == ncUpper {
				x += 0x20
			}
			b = append(b, 0xC3, x)
			segLen++
			continue
		default:
			var size int
			r, size = utf8.DecodeRuneInString(w[i:])
			i += size
		}
		switch {
		case r == '-':
			segStart, segLen = true, 0
			b = append(b, '-')
			continue
		case r == '\'' || r == '’':
			b = utf8.AppendRune(b, r)
			segStart = segLen == 1 // O'Brien, D'Artagnan
			segLen = 0
			continue
		}
		if segStart {
			r = unicode.ToUpper(r)
			segStart = false
		} else {
			r = unicode.ToLower(r)
			// Mc + letter: McDonald.
			if segLen == 1 && r == 'c' && (b[len(b)-1] == 'M') && i < len(w) && len(w)-i >= 2 {
				b = append(b, 'c')
				segLen++
				segStart = true
				continue
			}
		}
		b = utf8.AppendRune(b, r)
		segLen++
	}
	return b
}

// SplitFullName splits a one-column name. "Andersson, Anna" is family name
// first; otherwise the last word is the family name, with the particles
// before it ("Anna von Sydow" -> "Anna", "von Sydow"). A single word is
// taken as the family name. The results view raw.
func SplitFullName(raw string) (first, last string) {
	s := trimSpace(raw)
	if c := strings.IndexByte(s, ','); c >= 0 {
		return trimSpace(s[c+1:]), trimSpace(s[:c])
	}
	end := len(s)
	i := strings.LastIndexByte(s, ' ')
	if i < 0 {
		return "", s
	}
	lastStart := i + 1
	for {
		head := strings.TrimRight(s[:lastStart], " ")
		j := strings.LastIndexByte(head, ' ')
		if j < 0 {
			break // never make the whole name the family name
		}
		w := head[j+1:]
		particle := false
		for _, p := range nameParticles {
			if equalFoldASCII(w, p) {
				particle = true
				break
			}
		}
		if !particle {
			break
		}
		lastStart = j + 1
	}
	return trimSpace(s[:lastStart]), trimSpace(s[lastStart:end])
}

// NormaliseNames normalises a person's given names and family name as
// NormaliseName does and returns their matching key with them, as
// AppendNameKey would give for the two results; all three are "" when
// both names are empty. The key is folded with foldLatin1 into a buffer on
// the stack and copied into the arena once.
func NormaliseNames(first, last string, a *Arena) (f, l, key string) {
	var buf [nameKeyBuf]byte
	f, n, ok := normaliseNameKey(first, a, &buf, 0)
	if ok && n > 0 {
		buf[n&(nameKeyBuf-1)] = ' '
		n++
	}
	mark := n
	if ok {
		l, n, ok = normaliseNameKey(last, a, &buf, n)
	} else {
		l = NormaliseName(last, a)
	}
	if f == "" && l == "" {
		return "", "", ""
	}
	if !ok {
		return f, l, a.String(AppendNameKey(buf[:0], f, l))
	}
	if n == mark && mark > 0 {
		n--
	}
	return f, l, a.String(buf[:n])
}

// normaliseNameKey is NormaliseName(raw) with its result folded by
// foldLatin1 into buf from n. For a name of ASCII and U+00C0-U+00FF (the
// common case) one scan checks the case and folds; other names are
// normalised, then folded.
func normaliseNameKey(raw string, a *Arena, buf *[nameKeyBuf]byte, n int) (out string, _ int, ok bool) {
	const mask = nameKeyBuf - 1
	s := raw
	if needTrim(s) {
		s = trimSpace(s)
	}
	if s == "" {
		return "", n, n < nameKeyBuf
	}
	start := n
	sep := 0 // 1 when a separator is due before the next letter
	var all uint8
	needCollapse := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 {
			k := nameClass[c]
			all |= k
			f := foldASCII[c]
			if f == 0 {
				if n > start {
					sep = 1
				}
				if k == ncSpace && i > 0 && s[i-1] == ' ' {
					needCollapse = true
				}
				continue
			}
			buf[n&mask] = ' '
			n += sep
			sep = 0
			// A run of ASCII letters and digits: letters eight, then four,
			// at a time (folding a letter sets bit 5), then byte by byte.
			for i+8 <= len(s) && n+8 <= nameKeyBuf {
				x := load64(s, i)
				if !letters8(x) {
					break
				}
				binary.LittleEndian.PutUint64(buf[n:n+8], x|0x2020202020202020)
				all |= letterCase(x&0x2020202020202020, 0x2020202020202020)
				n += 8
				i += 8
			}
			if i+4 <= len(s) && n+4 <= nameKeyBuf {
				if x := load32(s, i); letters4(x) {
					binary.LittleEndian.PutUint32(buf[n:n+4], x|0x20202020)
					all |= letterCase(uint64(x&0x20202020), 0x20202020)
					n += 4
					i += 4
				}
			}
			for ; i < len(s); i++ {
				c = s[i]
				f = foldASCII[c&0x7F]
				if c >= 0x80 || f == 0 {
					break
				}
				all |= nameClass[c]
				buf[n&mask] = f
				n++
			}
			i-- // the loop goes on at the byte that ended the run
			continue
		}
		if c != 0xC3 || i+1 >= len(s) || s[i+1]&0xC0 != 0x80 {
			// Another character: the general path.
			out = NormaliseName(s, a)
			n, ok = foldLatin1(buf, start, out)
			return out, n, ok
		}
		i++
		x := s[i] & 0x3F
		all |= latin1Class[x]
		f := foldTable[0xC0|int(x)]
		if f == "" {
			if n > start {
				sep = 1
			}
			continue
		}
		buf[n&mask] = ' '
		n += sep
		sep = 0
		for j := 0; j < len(f); j++ {
			buf[n&mask] = f[j]
			n++
		}
	}
	needCollapse = needCollapse || all&ncCollapse != 0
	mixed := all&ncUpper != 0 && all&ncLower != 0
	// Title case and collapsed spaces fold as the input does: case does not
	// survive folding (for U+00C0-U+00FE the cases differ by 0x20 in the
	// second byte and fold alike; ÿ becomes Ÿ, which folds to "y" too), and
	// every run of white space folds to one separator. So the key folded
	// above holds for the built name as well.
	if mixed && !needCollapse {
		return s, n, n < nameKeyBuf // kept as sent
	}
	return buildName(s, mixed, needCollapse, false, a), n, n < nameKeyBuf
}

// titleLetter upper-cases the lower-case letter at b[i], an ASCII letter
// or 0xC3 and a second byte (not ÿ), as appendTitleWord does at the start
// of a segment: ß stays.
func titleLetter(b []byte, i int) {
	if c := b[i]; c < 0x80 {
		b[i] = c &^ 0x20
		return
	}
	if x := b[i+1]; latin1Class[x&0x3F] == ncLower && x != 0x9F {
		b[i+1] = x - 0x20
	}
}

// letterCase is the nameClass bits of letters whose bit 5 (set for lower
// case) are the bytes of bits under mask.
func letterCase(bits, mask uint64) uint8 {
	var k uint8
	if bits != mask {
		k |= ncUpper
	}
	if bits != 0 {
		k |= ncLower
	}
	return k
}

// nameKeyBuf is the size of NormaliseNames' key buffer, a power of two.
const nameKeyBuf = 128

// foldLatin1 is appendFold(buf[:n], s, true) for text of ASCII and
// U+0080-U+017F, written by index into buf: it returns the new length,
// or ok false (buf then holds garbage) when s holds another character or
// the key does not fit. Indexes are masked, so a key that overflows wraps
// around; the length check at the end refuses it.
func foldLatin1(buf *[nameKeyBuf]byte, n int, s string) (_ int, ok bool) {
	const mask = nameKeyBuf - 1
	start := n
	sep := 0 // 1 when a separator is due before the next letter
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 {
			f := foldASCII[c]
			if f == 0 {
				if n > start {
					sep = 1
				}
				continue
			}
			buf[n&mask] = ' '
			n += sep
			sep = 0
			for { // a run of ASCII letters and digits
				buf[n&mask] = f
				n++
				if i+1 >= len(s) {
					break
				}
				c = s[i+1]
				f = foldASCII[c&0x7F]
				if c >= 0x80 || f == 0 {
					break
				}
				i++
			}
			continue
		}
		if c < 0xC2 || c > 0xC5 || i+1 >= len(s) || s[i+1]&0xC0 != 0x80 {
			return n, false
		}
		i++
		f := foldTable[int(c&0x1F)<<6|int(s[i]&0x3F)]
		if f == "" {
			if n > start {
				sep = 1
			}
			continue
		}
		buf[n&mask] = ' '
		n += sep
		sep = 0
		for j := 0; j < len(f); j++ {
			buf[n&mask] = f[j]
			n++
		}
	}
	return n, n < nameKeyBuf
}

// AppendNameKey appends the matching key of a person's name: first and
// family name folded (lower case, no diacritics, "ß" -> "ss", "å"/"ä" ->
// "a", "ö"/"ø" -> "o"), hyphens and other punctuation read as spaces,
// joined by one space.
func AppendNameKey(dst []byte, first, last string) []byte {
	start := len(dst)
	dst = appendFold(dst, first, true)
	if len(dst) > start {
		dst = append(dst, ' ')
	}
	mark := len(dst)
	dst = appendFold(dst, last, true)
	if len(dst) == mark && mark > start {
		dst = dst[:mark-1]
	}
	return dst
}
