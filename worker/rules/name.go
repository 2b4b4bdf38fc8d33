package rules

import (
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
	s := trimSpace(raw)
	if s == "" {
		return ""
	}
	hasUpper, hasLower, needCollapse, needNFC := false, false, false, false
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			switch {
			case c >= 'a' && c <= 'z':
				hasLower = true
			case c >= 'A' && c <= 'Z':
				hasUpper = true
			case c == ' ':
				if i > 0 && s[i-1] == ' ' {
					needCollapse = true
				}
			case isSpace(c):
				needCollapse = true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r >= 0x300 {
			// Runes below U+0300 are never changed by NFC (none is
			// NFC_QC=No or Maybe); above, let the norm package decide.
			needNFC = true
		}
		switch {
		case r == 0xA0:
			needCollapse = true
		case unicode.IsUpper(r):
			hasUpper = true
		case unicode.IsLower(r):
			hasLower = true
		}
	}
	if needNFC && !norm.NFC.IsNormalString(s) {
		return NormaliseName(norm.NFC.String(s), a) // rare: decomposed input
	}
	mixed := hasUpper && hasLower
	if mixed && !needCollapse {
		return s
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
		r, size := utf8.DecodeRuneInString(w[i:])
		i += size
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
