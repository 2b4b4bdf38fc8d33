package rules

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normaliseNameRef is NormaliseName as first written, rune by rune with
// the unicode package: the reference the byte-table fast paths are fuzzed
// against (FuzzNormaliseName).
func normaliseNameRef(raw string, a *Arena) string {
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
		return normaliseNameRef(norm.NFC.String(s), a) // rare: decomposed input
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
			b = appendTitleWordRef(b, w, j < len(s) && strings.TrimSpace(s[j:]) != "")
		}
		word++
		i = j
	}
	return a.Commit(b)
}
func appendTitleWordRef(b []byte, w string, more bool) []byte {
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

// FuzzNormaliseName checks the table-driven NormaliseName against the
// rune-by-rune reference, and the name key against its parts.
func FuzzNormaliseName(f *testing.F) {
	for _, s := range []string{"ANNA", "anna", "AnnA", "  Anna   Maria ", "Anna \t Maria", "ÅSA ÖSTLUND", "örjan", "anna-karin",
		"o'brien", "mcdonald", "MCDONALD", "VON ESSEN", "af klercker", "A\u030asa", "ŁUKASZ ŻÓŁW", "anna\u00a0maria", "ÿvonne", "ßtraße",
		"STRAßE", "É×÷", "\xc3", "\xc3A", "Ÿ", "ǅ", "o’brien", "åsa", "ÅSA", "mcåke", "MCÖX", "mcö", "mc×a", "ßabc", "×ab", "ÞÓR", "mcß", "mcde"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var a Arena
		got, want := NormaliseName(s, &a), normaliseNameRef(s, &a)
		if got != want {
			t.Fatalf("NormaliseName(%q) = %q, reference %q", s, got, want)
		}
	})
}

// FuzzNormaliseNames checks NormaliseNames, whose key is folded in the
// normalising scan, against NormaliseName for each part and AppendNameKey
// on the results.
func FuzzNormaliseNames(f *testing.F) {
	for _, s := range [][2]string{{"anna", "ANDERSSON"}, {"", "Östlund"}, {"Åsa", ""}, {"", ""}, {"  ", "-"}, {"ÅSA  ÖSTLUND", "von essen"},
		{"o'brien", "mcdonald"}, {"ŁUKASZ", "ŻÓŁW"}, {"A\u030asa", "x"}, {"anna\u00a0maria", "ß"}, {"ÿvonne", "Þór"}, {"×", "÷a"},
		{"\xc3", "\xc3A"}, {"ǅ", "o’brien"}, {"É×÷", "ab\tcd"}, {"ſara", "ſ"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, first, last string) {
		var a Arena
		gf, gl, gk := NormaliseNames(first, last, &a)
		wf, wl := NormaliseName(first, &a), NormaliseName(last, &a)
		var wk string
		if wf != "" || wl != "" {
			wk = string(AppendNameKey(nil, wf, wl))
		}
		if gf != wf || gl != wl || gk != wk {
			t.Fatalf("NormaliseNames(%q, %q) = %q, %q, %q; want %q, %q, %q", first, last, gf, gl, gk, wf, wl, wk)
		}
	})
}
