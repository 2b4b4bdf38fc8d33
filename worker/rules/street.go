package rules

import "strings"

// Street is a parsed street line.
type Street struct {
	Street    string // standardised: "Storgatan 12B lgh 1102", "ul. Długa 5/3"
	Name      string // "Storgatan"
	Number    string // "12", "12-14"
	Letter    string // "B" (upper case)
	Apartment string // "1102"
	CO        string // the name of a "c/o" part found in the line, without "c/o"
}

// ParseStreet splits a street line into name, number, letter and apartment.
//
//   - White space is collapsed; the original case is kept.
//   - "c/o NAME" at the start of the line or of a comma-separated part is
//     moved to CO ("c/o Svensson, Storgatan 1" and "Storgatan 1, c/o
//     Svensson"); a line that is only "c/o NAME" leaves the street empty.
//   - The name is the words before the first word that starts with a digit;
//     that word is the number, with a trailing letter ("12B") or a following
//     one-letter word ("12 B") as the letter and "10/12" (Polish) as number
//     and apartment.
//   - The apartment follows "lgh", "lgh.", "lägenhet" (Swedish) or "m.",
//     "m", "lok.", "lok" (Polish).
//   - Abbreviations at the end of the name are expanded: "-g.", "-gt",
//     "-gt." to "-gatan", "-v.", "-vg", "-vg." to "-vägen", "-pl." to
//     "-platsen"; a word "alle"/"allee" becomes "allé". The expansion is
//     upper case when the word is.
//   - A leading Polish "ul." / "ul" is dropped from the name and written
//     back as "ul. " in Street.
//   - Anything after the number that is not a letter or an apartment is
//     kept at the end of Street ("3 tr").
func ParseStreet(raw string, a *Arena) Street {
	if name, number, apt, ok := simpleStreet(raw); ok {
		return Street{Street: raw, Name: name, Number: number, Apartment: apt}
	}
	return slowStreet(raw, a)
}

func slowStreet(raw string, a *Arena) Street {
	var st Street
	s := trimSpace(raw)
	if s == "" {
		return st
	}
	s, st.CO = cutCO(s)
	if s == "" {
		return st
	}
	polish := false
	if len(s) > 3 && equalFoldASCII(s[:2], "ul") && (s[2] == '.' || s[2] == ' ') {
		polish = true
		s = trimSpace(s[3:])
	}

	var tok [24]string
	n := 0
	for i := 0; i < len(s) && n < len(tok); {
		for i < len(s) && (isSpace(s[i]) || s[i] == ',') {
			i++
		}
		j := i
		for j < len(s) && !isSpace(s[j]) && s[j] != ',' {
			j++
		}
		if n == len(tok)-1 && j < len(s) {
			j = len(s) // out of room: the last token takes the rest
		}
		if j > i {
			tok[n] = s[i:j]
			n++
		}
		i = j
	}
	num := -1
	for i := 1; i < n; i++ {
		if tok[i][0] >= '0' && tok[i][0] <= '9' {
			num = i
			break
		}
	}
	nameEnd := n
	if num > 0 {
		nameEnd = num
	}
	// Name: words joined by one space, the last one expanded.
	nb := a.Reserve(len(s) + 8)
	for i := 0; i < nameEnd; i++ {
		if i > 0 {
			nb = append(nb, ' ')
		}
		if i == nameEnd-1 {
			nb = appendExpanded(nb, tok[i], polish)
		} else {
			nb = append(nb, tok[i]...)
		}
	}
	st.Name = a.Commit(nb)
	rest := tok[:0]
	if num > 0 {
		t := tok[num]
		k := 0
		for k < len(t) && t[k] >= '0' && t[k] <= '9' {
			k++
		}
		// Ranges "12-14".
		if k+1 < len(t) && t[k] == '-' && t[k+1] >= '0' && t[k+1] <= '9' {
			k++
			for k < len(t) && t[k] >= '0' && t[k] <= '9' {
				k++
			}
		}
		st.Number = t[:k]
		tail := t[k:]
		switch {
		case len(tail) == 1 && isASCIILetter(tail[0]):
			st.Letter = upperLetter(tail)
		case len(tail) > 1 && tail[0] == '/' && allDigits(tail[1:]):
			st.Apartment = tail[1:]
		case tail != "":
			st.Number = t // unusual: keep the word whole
		}
		i := num + 1
		if st.Letter == "" && i < n && len(tok[i]) == 1 && isASCIILetter(tok[i][0]) {
			st.Letter = upperLetter(tok[i])
			i++
		}
		for ; i < n; i++ {
			w := tok[i]
			if st.Apartment == "" && i+1 < n && allDigits(tok[i+1]) && isApartmentWord(w) {
				st.Apartment = tok[i+1]
				i++
				continue
			}
			rest = append(rest, w)
		}
	}
	// Street line.
	b := a.Reserve(len(s) + 24)
	if polish {
		b = append(b, "ul. "...)
	}
	b = append(b, st.Name...)
	if st.Number != "" {
		b = append(b, ' ')
		b = append(b, st.Number...)
		b = append(b, st.Letter...)
	}
	if st.Apartment != "" {
		if polish {
			b = append(b, '/')
		} else {
			b = append(b, " lgh "...)
		}
		b = append(b, st.Apartment...)
	}
	for _, w := range rest {
		b = append(b, ' ')
		b = append(b, w...)
	}
	if string(b) == raw {
		st.Street = raw
	} else {
		st.Street = a.Commit(b)
	}
	return st
}

// simpleStreet recognises the common "Storgatan 12" and "Storgatan 12 lgh
// 1102" in one pass: words of letters separated by single spaces, one
// space, digits, and optionally " lgh " and digits; nothing to expand
// (the last word ends in none of the letters an abbreviation ends in), no
// c/o, no Polish prefix. ok is false for anything else, which the general
// parse then reads; when ok, the general parse gives the same result
// (FuzzStreet).
func simpleStreet(s string) (name, number, apartment string, ok bool) {
	if len(s) < 3 {
		return "", "", "", false
	}
	if c := s[0]; !isASCIILetter(c) && c < 0xC3 {
		return "", "", "", false // not a letter, or a no-break space (0xC2 0xA0) to trim
	}
	words := 1
	i := 1
	for ; i < len(s); i++ {
		k := streetClass[s[i]]
		if k == scLetter {
			continue
		}
		if k != scSpace || i+1 >= len(s) {
			return "", "", "", false
		}
		if next := streetClass[s[i+1]]; next == scDigit {
			break // the number
		} else if next != scLetter {
			return "", "", "", false
		}
		if words++; words > 16 {
			return "", "", "", false
		}
	}
	if i >= len(s) {
		return "", "", "", false // no number
	}
	name = s[:i]
	switch name[len(name)-1] {
	case '.', 't', 'T', 'g', 'G', 'e', 'E':
		return "", "", "", false // perhaps an abbreviation or "alle"
	}
	if len(name) >= 3 && equalFoldASCII(name[:3], "ul ") || equalFoldASCII(name, "ul") {
		return "", "", "", false
	}
	j := i + 1
	for j < len(s) && streetClass[s[j]] == scDigit {
		j++
	}
	number = s[i+1 : j]
	if j == len(s) {
		return name, number, "", true
	}
	if len(s)-j > 5 && s[j:j+5] == " lgh " && allDigits(s[j+5:]) {
		return name, number, s[j+5:], true
	}
	return "", "", "", false
}

// Byte classes for simpleStreet.
const (
	scOther  = iota
	scLetter // ASCII letter or a byte of a multi-byte character, but not 0xC2 (it starts the no-break space)
	scSpace  // ' '
	scDigit
)

var streetClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch b := byte(c); {
		case isASCIILetter(b) || b >= 0x80 && b != 0xC2:
			t[c] = scLetter
		case b == ' ':
			t[c] = scSpace
		case b >= '0' && b <= '9':
			t[c] = scDigit
		}
	}
	return t
}()

func upperLetter(s string) string {
	c := s[0]
	if c >= 'a' && c <= 'z' {
		return asciiUpper[c-'a' : c-'a'+1]
	}
	return s
}

const asciiUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

func isApartmentWord(w string) bool {
	switch {
	case equalFoldASCII(w, "lgh"), equalFoldASCII(w, "lgh."), equalFoldASCII(w, "lgh:"),
		equalFoldASCII(w, "m."), equalFoldASCII(w, "m"), equalFoldASCII(w, "lok."), equalFoldASCII(w, "lok"):
		return true
	}
	return strings.EqualFold(w, "lägenhet")
}

// appendExpanded appends the last word of a street name with a Swedish
// abbreviation expanded.
func appendExpanded(dst []byte, w string, polish bool) []byte {
	if polish {
		return append(dst, w...)
	}
	if equalFoldASCII(w, "alle") || equalFoldASCII(w, "allee") || w == "Allé" || w == "allé" {
		if isUpperWord(w) {
			return append(dst, "ALLÉ"...)
		}
		if w[0] == 'A' {
			return append(dst, "Allé"...)
		}
		return append(dst, "allé"...)
	}
	switch w[len(w)-1] {
	case '.', 't', 'T', 'g', 'G':
	default:
		return append(dst, w...)
	}
	type abbr struct{ suffix, full, upper string }
	for _, x := range [...]abbr{
		{"gt.", "gatan", "GATAN"}, {"gt", "gatan", "GATAN"}, {"g.", "gatan", "GATAN"},
		{"vg.", "vägen", "VÄGEN"}, {"vg", "vägen", "VÄGEN"}, {"v.", "vägen", "VÄGEN"},
		{"pl.", "platsen", "PLATSEN"},
	} {
		if len(w) > len(x.suffix)+1 && equalFoldASCII(w[len(w)-len(x.suffix):], x.suffix) {
			stem := w[:len(w)-len(x.suffix)]
			dst = append(dst, stem...)
			if isUpperWord(stem) {
				return append(dst, x.upper...)
			}
			return append(dst, x.full...)
		}
	}
	return append(dst, w...)
}

func isUpperWord(s string) bool {
	hasUpper := false
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r == 'å' || r == 'ä' || r == 'ö' {
			return false
		}
		if r >= 'A' && r <= 'Z' {
			hasUpper = true
		}
	}
	return hasUpper
}

// cutCO removes a "c/o NAME" part: at the start of the line, or as a
// comma-separated part.
func cutCO(s string) (street, co string) {
	for start := 0; start < len(s); {
		end := strings.IndexByte(s[start:], ',')
		if end < 0 {
			end = len(s)
		} else {
			end += start
		}
		part := trimSpace(s[start:end])
		if len(part) >= 3 && equalFoldASCII(part[:3], "c/o") {
			co = trimLeftFunc(part[3:], func(c byte) bool { return c == ' ' || c == ':' || c == '.' })
			before := trimSpace(strings.TrimRight(trimSpace(s[:start]), ","))
			after := ""
			if end < len(s) {
				after = trimSpace(s[end+1:])
			}
			switch {
			case before == "":
				return after, co
			case after == "":
				return before, co
			default:
				return before + ", " + after, co // rare: allocates
			}
		}
		start = end + 1
	}
	return s, ""
}
