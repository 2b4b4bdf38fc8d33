package rules

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// PostalReason says why a postal code is not valid or does not fit its city.
type PostalReason uint8

// Postal reasons; reasons.go maps them to POSTAL_* codes.
const (
	PostalOK           PostalReason = iota
	PostalMissing                   // empty
	PostalFormat                    // not NNN NN (SE, first digit 1-9) or NN-NNN (PL)
	PostalUnknown                   // well-formed but not in the directory
	PostalCityMismatch              // known code, but the city is not one of its places
)

// Postal is a checked postal code.
type Postal struct {
	// Code is the normalised code ("123 45", "00-950"), or "" when the
	// format is wrong. It views the input or the arena.
	Code string
	// Valid: well-formed and, when a directory is given, known. A city
	// mismatch does not clear it (the code exists; the city is what is
	// doubtful), it only sets Reason.
	Valid  bool
	Reason PostalReason
	// City is the directory's place name when the city matched (or was
	// empty and the code has one place), else "".
	City string
}

// PostcodeDir is a postal code directory: code to place names, per country.
// It is read-only after LoadPostcodes and safe for concurrent use.
type PostcodeDir struct {
	m map[uint32][]place
	// Dense indexes for SE and PL: code -> 1 + index into dense, 0 if absent.
	se, pl []uint16
	dense  []postEntry
}

// postEntry is one code of a dense index.
type postEntry struct {
	places []place
	code   string // the code in normal form: "123 45" (SE), "12-345" (PL)
}

type place struct {
	name   string // as in the directory
	folded string // appendFold without spaces, "st"/"s:t" read as "sankt"
}

// postKey packs a country (two letters) and a five-digit code.
func postKey(country string, code uint32) (uint32, bool) {
	if len(country) != 2 {
		return 0, false
	}
	a, b := country[0]|0x20, country[1]|0x20
	if a < 'a' || a > 'z' || b < 'a' || b > 'z' {
		return 0, false
	}
	return (uint32(a-'a')*26+uint32(b-'a'))<<17 | code, true
}

// ErrPostcodeFormat means a postcode directory could not be read at all.
var ErrPostcodeFormat = errors.New("postcode directory: no usable rows")

// LoadPostcodes reads a postal code directory: one row per code and place,
// "country,postal_code,place" separated by comma, semicolon or tab (GeoNames
// allCountries.txt-style tab files with more columns are accepted: the
// first three columns are used). A header row and rows whose code is not
// five digits once spaces and hyphens are removed are skipped; codes of
// other shapes are not checked by this package anyway.
func LoadPostcodes(r io.Reader) (*PostcodeDir, error) {
	d := &PostcodeDir{m: make(map[uint32][]place, 1<<15)}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	var fold []byte
	for sc.Scan() {
		line++
		text := strings.TrimPrefix(sc.Text(), "\ufeff")
		sep := byte(',')
		if strings.IndexByte(text, '\t') >= 0 {
			sep = '\t'
		} else if strings.IndexByte(text, ';') >= 0 {
			sep = ';'
		}
		f := strings.SplitN(text, string(sep), 4)
		if len(f) < 3 {
			continue
		}
		country, code, name := unquote(f[0]), unquote(f[1]), unquote(f[2])
		digits, ok := fiveDigits(code)
		if !ok || name == "" {
			continue
		}
		key, ok := postKey(country, digits)
		if !ok {
			continue
		}
		fold = appendCityFold(fold[:0], name)
		dup := false
		for _, p := range d.m[key] {
			if p.folded == string(fold) {
				dup = true
				break
			}
		}
		if !dup {
			d.m[key] = append(d.m[key], place{name: name, folded: string(fold)})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("postcode directory line %d: %w", line+1, err)
	}
	if len(d.m) == 0 {
		return nil, ErrPostcodeFormat
	}
	d.index()
	return d, nil
}

// index builds the dense arrays for SE and PL when they fit. It first
// packs every code's places into one array, in code order, with each
// distinct name held once: a lookup then reads a few compact arrays
// rather than small allocations spread over the heap.
func (d *PostcodeDir) index() {
	keys := make([]uint32, 0, len(d.m))
	total := 0
	for k, places := range d.m {
		keys = append(keys, k)
		total += len(places)
	}
	slices.Sort(keys)
	all := make([]place, 0, total)
	names := make(map[string]string)
	intern := func(s string) string {
		if t, ok := names[s]; ok {
			return t
		}
		names[s] = s
		return s
	}
	for _, k := range keys {
		start := len(all)
		for _, p := range d.m[k] {
			all = append(all, place{name: intern(p.name), folded: intern(p.folded)})
		}
		d.m[k] = all[start:len(all):len(all)]
	}
	keySE, _ := postKey("SE", 0)
	keyPL, _ := postKey("PL", 0)
	for _, k := range keys {
		places := d.m[k]
		var idx *[]uint16
		v := k & (1<<17 - 1)
		digits := [5]byte{byte('0' + v/10000), byte('0' + v/1000%10), byte('0' + v/100%10), byte('0' + v/10%10), byte('0' + v%10)}
		var code string
		switch k &^ (1<<17 - 1) {
		case keySE:
			idx = &d.se
			code = string([]byte{digits[0], digits[1], digits[2], ' ', digits[3], digits[4]})
		case keyPL:
			idx = &d.pl
			code = string([]byte{digits[0], digits[1], '-', digits[2], digits[3], digits[4]})
		default:
			continue
		}
		if len(d.dense) >= 1<<16-1 {
			d.se, d.pl, d.dense = nil, nil, nil // too many: use the map
			return
		}
		if *idx == nil {
			*idx = make([]uint16, 100000)
		}
		d.dense = append(d.dense, postEntry{places: places, code: code})
		(*idx)[v] = uint16(len(d.dense))
	}
}

// lookup returns the places of a code and, from a dense index, the code in
// normal form (else "").
func (d *PostcodeDir) lookup(country string, code uint32) (places []place, canon string, ok bool) {
	var idx []uint16
	switch country {
	case "SE":
		idx = d.se
	case "PL":
		idx = d.pl
	}
	if idx != nil {
		if i := idx[code]; i != 0 {
			e := &d.dense[i-1]
			return e.places, e.code, true
		}
		return nil, "", false
	}
	key, ok := postKey(country, code)
	if !ok {
		return nil, "", false
	}
	p, ok := d.m[key]
	return p, "", ok
}

// Len returns the number of codes in the directory.
func (d *PostcodeDir) Len() int { return len(d.m) }

func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// fiveDigits reads a code of five digits with optional spaces and hyphens.
func fiveDigits(s string) (uint32, bool) {
	var v uint32
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			v = v*10 + uint32(c-'0')
			n++
		case c == ' ' || c == '-':
		default:
			return 0, false
		}
	}
	return v, n == 5
}

// CheckPostal normalises and checks a postal code and its city for country
// ("SE" or "PL"; other countries get no format rules and are returned as
// sent, not valid, with no reason). dir may be nil: format only.
//
// SE: five digits, first 1-9, written "NNN NN"; "12345", "123-45",
// "SE-123 45", "S-12345" are accepted. PL: "NN-NNN"; "12345", "PL-12-345"
// accepted. The city matches when it equals one of the code's places
// ignoring case, diacritics, spaces, hyphens and dots, with "St."/"S:t" read
// as "Sankt" and a few exonyms (Gothenburg, Warsaw...) read as the local
// name.
func CheckPostal(raw, city, country string, dir *PostcodeDir, a *Arena) Postal {
	var p Postal
	checkPostal(&p, raw, city, country, dir, a)
	return p
}

// checkPostal is CheckPostal filling p, which is zero: the helpers work on
// it in place rather than pass it by value.
func checkPostal(p *Postal, raw, city, country string, dir *PostcodeDir, a *Arena) {
	s := raw
	if needTrim(s) {
		s = trimSpace(s)
	}
	if s == "" {
		p.Reason = PostalMissing
		return
	}
	var canon [6]byte
	var code uint32
	switch country {
	case "SE":
		if v, ok := seCommonCode(s); ok {
			// "12345" or "123 45": the common shapes, read in one step.
			checkPostalCode(p, s, v, city, country, dir, a)
			return
		}
		s = trimCountryPrefix(s, "se", "s")
		v, ok := fiveDigits(s)
		if !ok || s[0] == '0' || !sePostalShape(s) {
			p.Reason = PostalFormat
			return
		}
		code = v
		d := digitsOf(s)
		canon = [6]byte{d[0], d[1], d[2], ' ', d[3], d[4]}
	case "PL":
		s = trimCountryPrefix(s, "pl", "")
		v, ok := fiveDigits(s)
		if !ok || !plPostalShape(s) {
			p.Reason = PostalFormat
			return
		}
		code = v
		d := digitsOf(s)
		canon = [6]byte{d[0], d[1], '-', d[2], d[3], d[4]}
	default:
		p.Code = s
		return
	}
	if s == string(canon[:]) {
		p.Code = s
	} else {
		p.Code = a.String(canon[:])
	}
	if dir == nil {
		p.Valid = true
		return
	}
	places, _, ok := dir.lookup(country, code)
	if !ok {
		p.Reason = PostalUnknown
		return
	}
	checkCity(p, places, city)
}

// seCommonCode reads a Swedish code written "12345" or "123 45" (first
// digit 1-9), the shapes nearly every list uses.
func seCommonCode(s string) (uint32, bool) {
	var d0, d1, d2, d3, d4 byte
	switch {
	case len(s) == 5:
		d0, d1, d2, d3, d4 = s[0]-'0', s[1]-'0', s[2]-'0', s[3]-'0', s[4]-'0'
	case len(s) == 6 && s[3] == ' ':
		d0, d1, d2, d3, d4 = s[0]-'0', s[1]-'0', s[2]-'0', s[4]-'0', s[5]-'0'
	default:
		return 0, false
	}
	if d0-1 > 8 || d1 > 9 || d2 > 9 || d3 > 9 || d4 > 9 {
		return 0, false
	}
	return uint32(d0)*10000 + uint32(d1)*1000 + uint32(d2)*100 + uint32(d3)*10 + uint32(d4), true
}

// checkPostalCode finishes CheckPostal for a well-formed Swedish code s
// with value v: the normal form from the directory when it has the code,
// else built in the arena.
func checkPostalCode(p *Postal, s string, v uint32, city, country string, dir *PostcodeDir, a *Arena) {
	if dir != nil {
		places, canon, ok := dir.lookup(country, v)
		if ok && canon != "" {
			p.Code = canon
			if len(s) == 6 {
				p.Code = s // already in normal form: view the input
			}
			checkCity(p, places, city)
			return
		}
	}
	if len(s) == 6 {
		p.Code = s
	} else {
		p.Code = a.String([]byte{s[0], s[1], s[2], ' ', s[3], s[4]})
	}
	if dir == nil {
		p.Valid = true
		return
	}
	places, _, ok := dir.lookup(country, v)
	if !ok {
		p.Reason = PostalUnknown
		return
	}
	checkCity(p, places, city)
}

// checkCity sets Valid and matches the city against a known code's places.
func checkCity(p *Postal, places []place, city string) {
	p.Valid = true
	if needTrim(city) {
		city = trimSpace(city)
	}
	if city == "" {
		if len(places) == 1 {
			p.City = places[0].name
		}
		return
	}
	for _, pl := range places {
		if pl.name == city { // the common case: spelt as in the directory
			p.City = pl.name
			return
		}
	}
	checkCityFolded(p, places, city)
}

// checkCityFolded is checkCity for a city not spelt as in the directory.
func checkCityFolded(p *Postal, places []place, city string) {
	var buf [96]byte
	f := appendCityFold(buf[:0], city)
	for _, pl := range places {
		if pl.folded == string(f) {
			p.City = pl.name
			return
		}
	}
	if alias, ok := cityAliases[string(f)]; ok {
		for _, pl := range places {
			if pl.folded == alias {
				p.City = pl.name
				return
			}
		}
	}
	p.Reason = PostalCityMismatch
}

// digitsOf returns the five digits of a code fiveDigits accepted.
func digitsOf(s string) (d [5]byte) {
	n := 0
	for i := 0; i < len(s) && n < 5; i++ {
		if s[i] >= '0' && s[i] <= '9' {
			d[n] = s[i]
			n++
		}
	}
	return d
}

// sePostalShape: "12345", "123 45", "123-45".
func sePostalShape(s string) bool {
	return len(s) == 5 || (len(s) == 6 && (s[3] == ' ' || s[3] == '-'))
}

// plPostalShape: "12-345", "12345", "12 345".
func plPostalShape(s string) bool {
	return len(s) == 5 || (len(s) == 6 && (s[2] == '-' || s[2] == ' '))
}

// trimCountryPrefix drops "SE-", "S-", "PL " and the like; long and short
// are lower case.
func trimCountryPrefix(s, long, short string) string {
	if s[0] >= '0' && s[0] <= '9' {
		return s
	}
	for _, p := range [...]string{long, short} {
		if p != "" && len(s) > len(p)+1 && equalFoldASCII(s[:len(p)], p) && (s[len(p)] == '-' || s[len(p)] == ' ') {
			return trimSpace(s[len(p)+1:])
		}
	}
	return s
}

// cityAliases maps folded exonyms and old spellings to the folded local name.
var cityAliases = map[string]string{
	"gothenburg": "goteborg",
	"gotheborg":  "goteborg",
	"gothenborg": "goteborg",
	"warsaw":     "warszawa",
	"cracow":     "krakow",
	"krakau":     "krakow",
	"danzig":     "gdansk",
	"breslau":    "wroclaw",
	"posen":      "poznan",
	"lodz":       "lodz",
}

// appendCityFold folds a place name for comparison: appendFold without
// spaces, "st"/"s:t" as a word read as "sankt". Exonyms (cityAliases) are
// tried by the caller only when the folded name does not match.
func appendCityFold(dst []byte, s string) []byte {
	var words [96]byte
	w := appendFold(words[:0], s, true)
	for i := 0; i < len(w); {
		j := i
		for j < len(w) && w[j] != ' ' {
			j++
		}
		word := w[i:j]
		switch {
		case string(word) == "st":
			dst = append(dst, "sankt"...)
		case string(word) == "s" && j+2 <= len(w) && w[j] == ' ' && w[j+1] == 't' && (j+2 == len(w) || w[j+2] == ' '):
			dst = append(dst, "sankt"...) // "S:t" folds to "s t"
			j += 2
		default:
			dst = append(dst, word...)
		}
		i = j + 1
	}
	return dst
}
