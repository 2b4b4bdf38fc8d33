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
//   - the same name and address (18, 0.98), phone (20) or e-mail (22) match;
//   - a typo in one name (jw ≥ 0.95, +4 instead of +6) with an address still
//     matches (16);
//   - a different first name costs -12: spouses who share surname, address
//     and phone (6 - 12 + 6 + 8 = 8, 0.45) do not match;
//   - two valid personnummer that differ, or two birth dates, veto.
const (
	wPNR         = 20
	wEmail       = 10
	wEmailDiffer = -2
	wPhone       = 8
	wPhoneDiffer = -1
	wAddr        = 6
	wAptDiffer   = -6 // same building, another flat
	wAddrDiffer  = -1 // people move
	wPostalOnly  = 0.5
	wBirth       = 5
	wNameEqual   = 6
	wNameToken   = 4 // "anna maria" against "anna"
	wNameMax     = 4 // best fuzzy (not equal) name
	wNameMin     = -12
	wSwapPenalty = 1
	jwLow        = 0.80 // jw at or below: wNameMin
	jwHigh       = 0.95 // jw at or above: wNameMax
	scoreMid     = 8.5
	scoreScale   = 2.5
)

// score compares two rows; ok is false when an identifier vetoes the match.
func (d *Deduper) score(a, b *rec) (s float64, ok bool) {
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
		if sharePhone(a, b) {
			w += wPhone
		} else {
			w += wPhoneDiffer
		}
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
	w += d.nameWeight(a, b)
	return 1 / (1 + math.Exp(-(w-scoreMid)/scoreScale)), true
}

func sharePhone(a, b *rec) bool {
	for _, p := range a.phone {
		if p != 0 && (p == b.phone[0] || p == b.phone[1]) {
			return true
		}
	}
	return false
}

// nameWeight scores first and last names, straight or swapped, whichever
// is better (a swap costs wSwapPenalty).
func (d *Deduper) nameWeight(a, b *rec) float64 {
	af, al := d.nameParts(a)
	bf, bl := d.nameParts(b)
	w := namePart(af, bf) + namePart(al, bl)
	if len(af) > 0 && len(al) > 0 && len(bf) > 0 && len(bl) > 0 {
		if sw := namePart(af, bl) + namePart(al, bf) - wSwapPenalty; sw > w {
			w = sw
		}
	}
	return w
}

func (d *Deduper) nameParts(r *rec) (first, last []byte) {
	if r.flen == 0 && r.llen == 0 {
		return nil, nil
	}
	b := d.names.get(r.name, int(r.flen)+int(r.llen))
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
	jw := JaroWinkler(x, y)
	switch {
	case jw <= jwLow:
		return wNameMin
	case jw >= jwHigh:
		return wNameMax
	}
	return wNameMin + (jw-jwLow)/(jwHigh-jwLow)*(wNameMax-wNameMin)
}

func firstWord(b []byte) []byte {
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		return b[:i]
	}
	return b
}
