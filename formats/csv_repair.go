package formats

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkCount settles a record whose field count differs from the header's.
// raw (or rawBytes when raw is "") is the record's text, for Record.Raw.
//
//   - A street split by an unquoted delimiter is looked for first, with
//     the record as read: "Storgatan 5; 2 tr;...;" with an empty last cell
//     has one field too many only because of the split, and dropping the
//     empty cell first would shift every column after the street.
//   - Trailing empty fields beyond the header's count ("a;b;c;;" from some
//     exports) are dropped: no value is lost.
//   - Too few fields: the record is data; the missing trailing cells are
//     filled with "" so Fields always has the header's length. No reject.
//   - Exactly one field too many: repaired when repairAt finds exactly one
//     place where an unquoted delimiter split a street or c/o cell, with
//     Repair = RepairedExtraDelimiter (it replaces RepairedEncoding, which
//     is the lesser repair) and Raw set.
//   - Otherwise: Reject = RejectFieldCount with Raw and a Message giving the
//     counts only. Fields keeps the cells as read.
func (r *csvReader) checkCount(rec *Record, raw string, rawBytes []byte) {
	n := len(rec.Fields)
	if n == r.ncol+1 && r.repair(rec, raw, rawBytes) {
		return
	}
	for n > r.ncol && strings.TrimSpace(rec.Fields[n-1]) == "" {
		n--
	}
	rec.Fields = rec.Fields[:n]
	switch {
	case n == r.ncol:
		return
	case n < r.ncol:
		for len(rec.Fields) < r.ncol {
			rec.Fields = append(rec.Fields, "")
		}
		return
	case n == r.ncol+1:
		if r.repair(rec, raw, rawBytes) {
			return
		}
	}
	rec.Reject = RejectFieldCount
	rec.Message = strconv.Itoa(n) + " fields, header has " + strconv.Itoa(r.ncol)
	setRaw(rec, raw, rawBytes)
}

// repair merges a street cell split by one unquoted delimiter, if repairAt
// finds exactly one such place.
func (r *csvReader) repair(rec *Record, raw string, rawBytes []byte) bool {
	i := repairAt(rec.Fields, r.mapping.Columns)
	if i < 0 {
		return false
	}
	n := len(rec.Fields)
	merged := rec.Fields[i] + r.delimStr + rec.Fields[i+1]
	copy(rec.Fields[i+1:], rec.Fields[i+2:])
	rec.Fields = rec.Fields[:n-1]
	rec.Fields[i] = merged
	rec.Repair = RepairedExtraDelimiter
	setRaw(rec, raw, rawBytes)
	return true
}

func setRaw(rec *Record, raw string, rawBytes []byte) {
	switch {
	case rec.Raw != "":
	case raw != "":
		rec.Raw = raw
	default:
		rec.Raw = string(rawBytes)
	}
}

// repairAt returns the index i such that fields i and i+1 are one cell
// split by an unquoted delimiter, or -1 when there is no such place or more
// than one. A place qualifies when column i is mapped to FieldStreet or
// FieldCO, field i holds a letter, and field i+1 starts with an apartment
// or address-continuation marker (see isContinuation), as in
// "Storgatan 5; lgh 1102" or "ul. Długa 5; m. 3".
func repairAt(fields []string, cols []Field) int {
	found := -1
	for i := 0; i+1 < len(fields) && i < len(cols); i++ {
		if cols[i] != FieldStreet && cols[i] != FieldCO {
			continue
		}
		if !hasLetter(fields[i]) || !isContinuation(fields[i+1]) {
			continue
		}
		if found >= 0 {
			return -1
		}
		found = i
	}
	return found
}

// continuationMarkers start the second half of a street cell: Swedish
// apartment and floor markers (lgh 1102, lägenhet, tr 3, nb, bv, vån, uppg),
// c/o, Polish apartment markers (m. 3, lok. 2), English ones (apt, flat,
// suite, unit, floor) and a bare "/" (5/3). Matched case-insensitively; a
// word marker must be followed by the end, a space, a digit, '.' or ':'.
var continuationMarkers = []string{
	"lgh", "lägenhet", "lägh", "tr", "nb", "bv", "vån", "uppg", "port",
	"c/o", "m", "lok", "apt", "apartment", "flat", "suite", "unit", "floor",
}

func isContinuation(s string) bool {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" {
		return false
	}
	if t[0] == '/' {
		return len(t) > 1
	}
	if isFloor(t) {
		return true
	}
	for _, m := range continuationMarkers {
		if !strings.HasPrefix(t, m) {
			continue
		}
		rest := t[len(m):]
		if rest == "" {
			return m != "m" // a lone "m" is too weak
		}
		c := rest[0]
		if c == ' ' || c == '.' || c == ':' || (c >= '0' && c <= '9') {
			return true
		}
	}
	return false
}

// isFloor reports a Swedish floor written number first: "2 tr", "3tr",
// "1 tr.", "4 trappor", "2 vån" (lower-cased, trimmed input).
func isFloor(t string) bool {
	i := 0
	for i < len(t) && i < 2 && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 {
		return false
	}
	rest := strings.TrimLeft(t[i:], " ")
	for _, m := range []string{"tr", "trappor", "trappa", "vån", "våningen"} {
		if rest == m || rest == m+"." || strings.HasPrefix(rest, m+" ") {
			return true
		}
	}
	return false
}

func hasLetter(s string) bool {
	for _, c := range s {
		if unicode.IsLetter(c) && c != utf8.RuneError {
			return true
		}
	}
	return false
}
