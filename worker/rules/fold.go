package rules

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// foldTable maps U+0000-U+017F to a lower-case ASCII form without
// diacritics ("Å" -> "a", "ß" -> "ss", "Ł" -> "l"). It is derived from the
// Unicode decompositions, with the letters that do not decompose spelled
// out.
var foldTable = buildFoldTable()

func buildFoldTable() [0x180]string {
	var t [0x180]string
	special := map[rune]string{
		'ß': "ss", 'æ': "ae", 'Æ': "ae", 'ø': "o", 'Ø': "o", 'ł': "l", 'Ł': "l",
		'đ': "d", 'Đ': "d", 'þ': "th", 'Þ': "th", 'œ': "oe", 'Œ': "oe", 'ı': "i",
		'ð': "d", 'Ð': "d", 'ħ': "h", 'Ħ': "h", 'ŀ': "l", 'Ŀ': "l", 'ŧ': "t", 'Ŧ': "t",
	}
	for r := rune(0); r < 0x180; r++ {
		if s, ok := special[r]; ok {
			t[r] = s
			continue
		}
		var out []byte
		for _, d := range norm.NFD.String(string(r)) {
			if d < 0x80 {
				out = append(out, byte(unicode.ToLower(d)))
			}
		}
		t[r] = string(out)
	}
	return t
}

// foldASCII maps ASCII letters and digits to lower case, the rest to 0.
var foldASCII = func() (t [128]byte) {
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c
	}
	for c := byte('a'); c <= 'z'; c++ {
		t[c] = c
		t[c-'a'+'A'] = c
	}
	return t
}()

// appendFold appends s folded for matching: lower case, no diacritics,
// letters and digits only; every run of other characters becomes one
// space (none at either end) when keepSpace, and nothing otherwise.
func appendFold(dst []byte, s string, keepSpace bool) []byte {
	start := len(dst)
	pendingSpace := false
	for i := 0; i < len(s); {
		c := s[i]
		var f string
		var single byte
		if c < 0x80 {
			i++
			single = foldASCII[c]
			if single != 0 && !pendingSpace {
				dst = append(dst, single) // the common case
				continue
			}
		} else if c >= 0xC2 && c <= 0xC5 && i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
			// U+0080-U+017F (Latin-1 and Latin Extended-A) in two bytes.
			f = foldTable[(rune(c&0x1F)<<6|rune(s[i+1]&0x3F))%0x180]
			i += 2
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			i += size
			switch {
			case r < 0x180:
				f = foldTable[r]
			case unicode.IsLetter(r) || unicode.IsDigit(r):
				var b [utf8.UTFMax]byte
				n := utf8.EncodeRune(b[:], unicode.ToLower(r))
				if pendingSpace && len(dst) > start {
					dst = append(dst, ' ')
				}
				pendingSpace = false
				dst = append(dst, b[:n]...)
				continue
			}
		}
		if single == 0 && f == "" {
			pendingSpace = keepSpace
			continue
		}
		if pendingSpace && len(dst) > start {
			dst = append(dst, ' ')
		}
		pendingSpace = false
		if single != 0 {
			dst = append(dst, single)
		} else {
			dst = append(dst, f...)
		}
	}
	return dst
}
