package dedup

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// foldTable maps letters that canonical decomposition leaves alone (ø, æ,
// ł, ß...) and the most frequent Nordic and Polish letters (a fast path
// that skips the decomposition) to ASCII.
var foldTable = map[rune]string{
	'å': "a", 'ä': "a", 'á': "a", 'à': "a", 'â': "a", 'ã': "a", 'ą': "a",
	'Å': "a", 'Ä': "a", 'Á': "a", 'À': "a", 'Â': "a", 'Ã': "a", 'Ą': "a",
	'ö': "o", 'ó': "o", 'ò': "o", 'ô': "o", 'õ': "o", 'ø': "o",
	'Ö': "o", 'Ó': "o", 'Ò': "o", 'Ô': "o", 'Õ': "o", 'Ø': "o",
	'é': "e", 'è': "e", 'ê': "e", 'ë': "e", 'ę': "e",
	'É': "e", 'È': "e", 'Ê': "e", 'Ë': "e", 'Ę': "e",
	'ü': "u", 'ú': "u", 'ù': "u", 'û': "u", 'Ü': "u", 'Ú': "u",
	'í': "i", 'ï': "i", 'î': "i", 'ı': "i", 'Í': "i",
	'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe", 'ß': "ss",
	'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d", 'ð': "d", 'Ð': "d", 'þ': "th", 'Þ': "th",
	'ś': "s", 'Ś': "s", 'ź': "z", 'ż': "z", 'Ź': "z", 'Ż': "z",
	'ć': "c", 'Ć': "c", 'ń': "n", 'Ń': "n", 'ñ': "n", 'ç': "c",
}

// AppendFold appends the folded form of s to dst: lower case, diacritics
// removed (NFD, marks dropped, plus a small table for ø, æ, ł, ß...), only
// letters and digits, words separated by single spaces, no leading or
// trailing space. "Åsa-Britt  Öberg" folds to "asa britt oberg".
func AppendFold(dst []byte, s string) []byte {
	space := true // no leading space
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			default:
				if !space {
					dst = append(dst, ' ')
					space = true
				}
				continue
			}
			dst = append(dst, c)
			space = false
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if rep, ok := foldTable[r]; ok {
			dst = append(dst, rep...)
			space = false
			i += size
			continue
		}
		n := len(dst)
		var buf [16]byte
		for _, d := range norm.NFD.AppendString(buf[:0], s[i:i+size]) {
			switch {
			case 'a' <= d && d <= 'z', '0' <= d && d <= '9':
				dst = append(dst, d)
			case 'A' <= d && d <= 'Z':
				dst = append(dst, d+'a'-'A')
			}
		}
		if len(dst) == n && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
		if len(dst) > n {
			space = false
		} else if !unicode.Is(unicode.Mn, r) && !space {
			dst = append(dst, ' ') // a non-letter separates words
			space = true
		}
		i += size
	}
	if space && len(dst) > 0 && dst[len(dst)-1] == ' ' {
		dst = dst[:len(dst)-1]
	}
	return dst
}

// Fold returns AppendFold(nil, s) as a string.
func Fold(s string) string { return string(AppendFold(nil, s)) }

// appendPhonetic appends a phonetic code of one folded word (ASCII letters)
// to dst: spelling variants that sound alike share a code ("karlsson",
// "carlson"; "andersson", "anderzon"). Vowels after the first letter and h
// are dropped, doubled consonants collapse, c/q→k, z→s, w→v, ph→f, and the
// code is at most 6 bytes. It is a blocking key, not a comparison: it only
// has to put likely matches in the same block.
func appendPhonetic(dst, w []byte) []byte {
	start := len(dst)
	var last byte
	for i := 0; i < len(w) && len(dst)-start < 6; i++ {
		c := w[i]
		switch c {
		case 'c', 'q':
			c = 'k'
		case 'z':
			c = 's'
		case 'w':
			c = 'v'
		case 'p':
			if i+1 < len(w) && w[i+1] == 'h' {
				c = 'f'
			}
		}
		first := len(dst) == start
		isVowel := c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y'
		if !first && (isVowel || c == 'h') {
			last = 0
			continue
		}
		if c == last {
			continue
		}
		if first && isVowel {
			c = 'a' // initial vowels vary (Eva/Ewa is the w; Ingrid/Yngve is not, accepted)
		}
		dst = append(dst, c)
		last = c
	}
	return dst
}
