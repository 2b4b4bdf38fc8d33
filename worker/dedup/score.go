package dedup

import (
	"bytes"
	"math"
)

// Match weights, in the manner of Fellegi-Sunter: the log-odds (base 2,
// rounded) that an agreement or a disagreement of a field comes from one
// person rather than two. Their sum W becomes a score in 0..1 by a logistic
// curve: score = 1 / (1 + exp(-(W - scoreMid) / scoreScale)).
//
// Landmarks with the default threshold 0.85 (W ≈ 12.8):
//   - the same name and nothing else (W 12, score 0.80) is no match: two
//     "Anna Andersson" in one postal code are two people;
//   - the same name and address (18, 0.98), mobile (20) or e-mail (22) match;
//   - one typo in one name (one edit: +2, or +4 in a name of 7 letters or
//     more) with the same address still matches (14 or 16);
//   - a name that differs by more than one edit weighs -4 at best, -12 when
//     Jaro-Winkler finds little in common: spouses who share surname,
//     address and landline (6 - 12 + 6 + 4 = 4) do not match, nor do
//     "Johan" and "Johanna" at one address with their own mobiles;
//   - two valid personnummer that differ, or two birth dates, veto.
//
// Names are compared by edit distance first because a typo is almost
// always one edit, while distinct names often look alike to Jaro-Winkler
// (Eriksson/Fredriksson 0.87, Johan/Johanna 0.94).
const (
	wPNR          = 20
	wEmail        = 10
	wEmailDiffer  = -2
	wMobile       = 8  // a shared mobile number
	wLandline     = 4  // a shared landline: households share them
	wPhoneDiffer  = -1 // both have phones, none shared
	wMobileDiffer = -3 // both have mobiles, none shared
	wAddr         = 6
	wAptDiffer    = -6 // same building, another flat
	wAddrDiffer   = -1 // people move
	wPostalOnly   = 0.5
	wBirth        = 5
	wNameEqual    = 6
	wNameToken    = 4 // "anna maria" against "anna"
	wNameEdit1    = 4 // one edit, name of 7 letters or more
	wNameEdit1Min = 2 // one edit in a shorter name (Maria/Marie, Anna/Hanna)
	wNameFuzzyMax = -4
	wNameMin      = -12
	wSwapPenalty  = 1
	jwLow         = 0.80 // jw at or below: wNameMin
	jwHigh        = 0.95 // jw at or above: wNameFuzzyMax
	scoreMid      = 8.5
	scoreScale    = 2.5
)

// weightFor is the weight sum W whose score is s.
func weightFor(s float64) float64 {
	if s >= 1 {
		return math.Inf(1)
	}
	return scoreMid + scoreScale*math.Log(s/(1-s))
}

// score compares two rows whose names are in d.names.
func (d *Deduper) score(a, b *rec, floor float64) (s float64, ok bool) {
	return score(&d.names, a, b, floor)
}

// score compares two rows whose names are in names; ok is false when an
// identifier vetoes the match. When the identifiers leave W below floor
// even with equal names, score returns 0 without comparing names (most
// pairs of a name block).
func score(names *arena, a, b *rec, floor float64) (s float64, ok bool) {
	w := 0.0
	switch {
	case a.pnr == 0 || b.pnr == 0:
	case a.pnr != b.pnr:
		return 0, false
	default:
		w += wPNR
	}
	if a.birth != 0 && b.birth != 0 {
		if a.birth != b.birth {
			return 0, false
		}
		if a.pnr == 0 || b.pnr == 0 {
			w += wBirth
		}
	}
	if a.email != 0 && b.email != 0 {
		if a.email == b.email {
			w += wEmail
		} else {
			w += wEmailDiffer
		}
	}
	if a.phone[0] != 0 && b.phone[0] != 0 {
		w += phoneWeight(a, b)
	}
	switch {
	case a.addr != 0 && a.addr == b.addr:
		w += wAddr
		if a.apt != 0 && b.apt != 0 && a.apt != b.apt {
			w += wAptDiffer
		}
	case a.addr != 0 && b.addr != 0:
		w += wAddrDiffer
		if a.postal == b.postal {
			w += wPostalOnly
		}
	case a.postal != 0 && a.postal == b.postal:
		w += wPostalOnly
	}
	if w+2*wNameEqual < floor {
		return 0, true
	}
	w += nameWeight(names, a, b)
	return 1 / (1 + math.Exp(-(w-scoreMid)/scoreScale)), true
}

// phoneWeight weighs the phones of two rows that both have one. Bit 0 of a
// phone key says "mobile"; equality ignores it.
func phoneWeight(a, b *rec) float64 {
	for _, p := range a.phone {
		if p == 0 {
			continue
		}
		for _, q := range b.phone {
			if q != 0 && p|1 == q|1 {
				if (p|q)&1 != 0 {
					return wMobile
				}
				return wLandline
			}
		}
	}
	if isMobile(a) && isMobile(b) {
		return wMobileDiffer
	}
	return wPhoneDiffer
}

func isMobile(r *rec) bool { return r.phone[0]&1 != 0 || r.phone[1]&1 != 0 }

// nameWeight scores first and last names, straight or swapped, whichever
// is better (a swap costs wSwapPenalty).
func nameWeight(names *arena, a, b *rec) float64 {
	af, al := nameParts(names, a)
	bf, bl := nameParts(names, b)
	w := namePart(af, bf) + namePart(al, bl)
	if len(af) > 0 && len(al) > 0 && len(bf) > 0 && len(bl) > 0 {
		if sw := namePart(af, bl) + namePart(al, bf) - wSwapPenalty; sw > w {
			w = sw
		}
	}
	return w
}

func nameParts(names *arena, r *rec) (first, last []byte) {
	if r.flen == 0 && r.llen == 0 {
		return nil, nil
	}
	b := names.get(r.name, int(r.flen)+int(r.llen))
	return b[:r.flen], b[r.flen:]
}

// namePart weighs one name against another; an absent name weighs 0.
func namePart(x, y []byte) float64 {
	if len(x) == 0 || len(y) == 0 {
		return 0
	}
	if bytes.Equal(x, y) {
		return wNameEqual
	}
	if bytes.Equal(firstWord(x), firstWord(y)) && (bytes.IndexByte(x, ' ') >= 0 || bytes.IndexByte(y, ' ') >= 0) {
		return wNameToken
	}
	if oneEdit(x, y) {
		if min(len(x), len(y)) >= 7 {
			return wNameEdit1
		}
		return wNameEdit1Min
	}
	jw := JaroWinkler(x, y)
	switch {
	case jw <= jwLow:
		return wNameMin
	case jw >= jwHigh:
		return wNameFuzzyMax
	}
	return wNameMin + (jw-jwLow)/(jwHigh-jwLow)*(wNameFuzzyMax-wNameMin)
}

// oneEdit reports whether x and y (not equal) are one substitution,
// insertion, deletion or transposition of adjacent bytes apart.
func oneEdit(x, y []byte) bool {
	if len(x) > len(y) {
		x, y = y, x
	}
	if len(y)-len(x) > 1 {
		return false
	}
	i := 0
	for i < len(x) && x[i] == y[i] {
		i++
	}
	if len(x) < len(y) {
		return bytes.Equal(x[i:], y[i+1:])
	}
	if i == len(x) {
		return false // equal
	}
	if bytes.Equal(x[i+1:], y[i+1:]) {
		return true
	}
	return i+1 < len(x) && x[i] == y[i+1] && x[i+1] == y[i] && bytes.Equal(x[i+2:], y[i+2:])
}

func firstWord(b []byte) []byte {
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		return b[:i]
	}
	return b
}
