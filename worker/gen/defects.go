package gen

import "unicode/utf8"

// Defect codes in truth.csv's defects column.
const (
	DefectPhoneLetters   = "phone_letters"     // words or a letter where a number should be
	DefectPhoneShort     = "phone_short"       // area code and four digits
	DefectPhonePremium   = "phone_premium"     // a 0900 premium-rate number
	DefectPNRChecksum    = "pnr_checksum"      // wrong check digit
	DefectPNRDate        = "pnr_date"          // impossible date, check digit right
	DefectPostalUnknown  = "postal_unknown"    // well-formed code not in the directory
	DefectCityMismatch   = "city_mismatch"     // city of another code
	DefectEmailMalformed = "email_malformed"   // not an address
	DefectEmailTypo      = "email_domain_typo" // gmial.com; email_valid is false
	DefectStrayQuote     = "stray_quote"       // Ann"a, unquoted
	DefectExtraDelimiter = "extra_delimiter"   // Storgatan 5; lgh 1102, unquoted: one field too many, repairable
	DefectTooFewFields   = "too_few_fields"    // trailing fields missing: the row is rejected
	DefectEmptyPhone     = "empty_phone"
	DefectEmptyMobile    = "empty_mobile"
	DefectEmptyEmail     = "empty_email"
	DefectEmptyPNR       = "empty_pnr"
	DefectEmptyPostal    = "empty_postal_code"
	DefectEmptyStreet    = "empty_street"
)

// Defect groups: a row gets at most one defect per group.
const (
	groupPhone = iota
	groupPNR
	groupPostal
	groupEmail
	groupStructure
)

var defectGroups = [...][]string{
	groupPhone:     {DefectPhoneLetters, DefectPhoneShort, DefectPhonePremium, DefectEmptyPhone, DefectEmptyMobile},
	groupPNR:       {DefectPNRChecksum, DefectPNRDate, DefectEmptyPNR},
	groupPostal:    {DefectPostalUnknown, DefectCityMismatch, DefectEmptyPostal},
	groupEmail:     {DefectEmailMalformed, DefectEmailTypo, DefectEmptyEmail},
	groupStructure: {DefectStrayQuote, DefectExtraDelimiter, DefectTooFewFields, DefectEmptyStreet},
}

// addDefects injects one defect, and sometimes a second of another group.
func (g *generator) addDefects(w *row, p *person) {
	first := -1
	for n := 0; n < 2; n++ {
		gi := g.r.intn(len(defectGroups))
		if gi == first {
			continue
		}
		for try := 0; try < 4; try++ {
			if g.applyDefect(w, p, pick(&g.r, defectGroups[gi])) {
				break
			}
		}
		if w.rejected || !g.r.chance(0.15) {
			return
		}
		first = gi
	}
}

// applyDefect applies code if it fits the row and reports whether it did.
func (g *generator) applyDefect(w *row, p *person, code string) bool {
	r := &g.r
	switch code {
	case DefectPhoneLetters, DefectPhoneShort, DefectPhonePremium:
		col, num := colMobile, p.mobile
		if !p.hasMobile {
			num = mobileAt(g.mobPerm.at(uint64(p.id))) // the person's own: no clash
		}
		if w.phoneOK && (!w.mobileOK || r.chance(0.5)) {
			col, num = colPhone, w.phone
		}
		f := w.f[col][:0]
		switch {
		case code == DefectPhoneShort:
			f = num.appendShort(f, r.chance(0.5))
		case code == DefectPhonePremium:
			f = appendPremium(f, r)
		case num.isMobile() && r.chance(0.5):
			// One digit replaced by a letter: one digit short once stripped.
			f = num.appendForm(f, pfDashGrouped)
			f[4+r.intn(3)] = "XEAK"[r.intn(4)] // a digit of the subscriber number
		default:
			f = append(f, pick(r, phoneWords)...)
		}
		w.f[col] = f
		if col == colMobile {
			w.mobileOK = false
		} else {
			w.phoneOK = false
		}
	case DefectEmptyPhone, DefectEmptyMobile:
		col := colPhone
		if code == DefectEmptyMobile {
			col = colMobile
		}
		if len(w.f[col]) == 0 {
			return false
		}
		w.f[col] = w.f[col][:0]
		if col == colMobile {
			w.mobileOK = false
		} else {
			w.phoneOK = false
		}
	case DefectPNRChecksum, DefectPNRDate:
		x := w.pnr
		if code == DefectPNRChecksum {
			x.chk = byte('0' + (int(x.chk-'0')+1+r.intn(9))%10)
		} else {
			switch r.intn(3) {
			case 0: // month 13
				x.d[2], x.d[3] = '1', '3'
			case 1: // month 00
				x.d[2], x.d[3] = '0', '0'
			default: // day 32 (92 for a samordningsnummer)
				x.d[4], x.d[5] = '3', '2'
				if p.pnr.samord {
					x.d[4] = '9'
				}
			}
			x.chk = luhn(&x.d)
		}
		w.f[colPNR] = x.appendForm(w.f[colPNR][:0], p.pnrForm, p.pnr.age(g.asOfDate) >= 100)
		w.pnrOK = false
	case DefectEmptyPNR:
		w.f[colPNR] = w.f[colPNR][:0]
		w.pnrOK = false
	case DefectPostalUnknown:
		w.f[colPostal] = appendCode(w.f[colPostal][:0], g.post.unknownCode(r), p.codeNoGap)
		w.postalOK = false
	case DefectCityMismatch:
		t := r.intn(len(towns) - 1)
		if t >= p.town {
			t++
		}
		w.f[colCity] = append(w.f[colCity][:0], towns[t].name...)
		w.postalOK = false
	case DefectEmptyPostal:
		w.f[colPostal] = w.f[colPostal][:0]
		w.postalOK = false
	case DefectEmailMalformed:
		f := p.appendEmailLocal(w.f[colEmail][:0])
		if len(f) == 0 {
			f = appendFolded(f, p.last)
		}
		switch r.intn(4) {
		case 0: // no @
			f = append(f, p.domain...)
		case 1:
			f = append(append(f, "@@"...), p.domain...)
		case 2: // no top-level domain
			f = append(append(f, '@'), p.domain[:indexByte(p.domain, '.')]...)
		default:
			f = append(append(f, "@."...), p.domain...)
		}
		w.f[colEmail] = f
		w.emailOK = false
	case DefectEmailTypo:
		typos := emailTypos[p.domain]
		if !w.emailOK || len(typos) == 0 {
			return false
		}
		f := append(p.appendEmailLocal(w.f[colEmail][:0]), '@')
		w.f[colEmail] = append(f, pick(r, typos)...)
		w.emailOK = false
	case DefectEmptyEmail:
		if len(w.f[colEmail]) == 0 {
			return false
		}
		w.f[colEmail] = w.f[colEmail][:0]
		w.emailOK = false
	case DefectEmptyStreet:
		w.f[colStreet] = w.f[colStreet][:0]
	case DefectStrayQuote:
		col := colFirst + r.intn(2)
		f := w.f[col]
		if utf8.RuneCount(f) < 3 {
			return false
		}
		// After the second rune, never first or last: Ann"a.
		_, s1 := utf8.DecodeRune(f)
		_, s2 := utf8.DecodeRune(f[s1:])
		at := s1 + s2
		f = append(f, 0)
		copy(f[at+1:], f[at:])
		f[at] = '"'
		w.f[col], w.raw[col] = f, true
	case DefectExtraDelimiter:
		if g.cfg.XLSX || p.careOf != "" || len(w.f[colStreet]) == 0 {
			return false
		}
		f := w.f[colStreet]
		if i := lastIndex(f, " lgh "); i >= 0 {
			f = append(f, 0)
			copy(f[i+1:], f[i:])
			f[i] = g.cfg.Delimiter
		} else {
			f = append(f, g.cfg.Delimiter)
			f = append(f, " 2 tr"...)
		}
		w.f[colStreet], w.raw[colStreet] = f, true
		w.repairable = true
	case DefectTooFewFields:
		if g.cfg.XLSX || len(w.defects) > 0 {
			return false
		}
		w.n = numCols - 1 - r.intn(3)
		w.rejected = true
		w.phoneOK, w.mobileOK, w.postalOK, w.pnrOK, w.emailOK = false, false, false, false, false
	default:
		return false
	}
	w.defects = append(w.defects, code)
	return true
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return len(s)
}

func lastIndex(b []byte, sub string) int {
	for i := len(b) - len(sub); i >= 0; i-- {
		if string(b[i:i+len(sub)]) == sub {
			return i
		}
	}
	return -1
}

// Near-duplicate variations in truth.csv's variant column.
const (
	VariantNameTypo    = "name_typo"
	VariantSwapNames   = "swap_names"
	VariantStreetAbbr  = "street_abbrev"
	VariantPhoneFormat = "phone_format"
	VariantEmailCase   = "email_case"
)

var variants = []string{VariantNameTypo, VariantNameTypo, VariantSwapNames, VariantStreetAbbr, VariantPhoneFormat, VariantEmailCase}

// addVariations makes a near duplicate: one or two variations.
func (g *generator) addVariations(w *row, p *person) {
	want := 1 + g.r.intn(2)
	for try := 0; try < 8 && len(w.variant) < want; try++ {
		v := pick(&g.r, variants)
		if containsStr(w.variant, v) || !g.applyVariation(w, p, v) {
			continue
		}
		w.variant = append(w.variant, v)
	}
}

func (g *generator) applyVariation(w *row, p *person, v string) bool {
	r := &g.r
	switch v {
	case VariantNameTypo:
		col := colFirst + r.intn(2)
		if containsStr(w.variant, VariantSwapNames) {
			return false
		}
		w.f[col] = typo(r, w.f[col])
	case VariantSwapNames:
		if containsStr(w.variant, VariantNameTypo) {
			return false
		}
		w.f[colFirst], w.f[colLast] = w.f[colLast], w.f[colFirst]
	case VariantStreetAbbr:
		if len(p.streetAbbr) == 0 {
			return false
		}
		g.fillStreet(w, p, !p.abbrev)
	case VariantPhoneFormat:
		return g.reformatPhone(w, p)
	case VariantEmailCase:
		f := w.f[colEmail]
		if len(f) == 0 {
			return false
		}
		// Anna.Andersson@Gmail.com
		up := true
		for i, c := range f {
			if up && c >= 'a' && c <= 'z' {
				f[i] = c - 'a' + 'A'
			}
			up = c == '.' || c == '@' || c == '_'
		}
	default:
		return false
	}
	return true
}

// typo changes a name: two letters swapped, one dropped or doubled, or a
// Swedish letter written without its dots.
func typo(r *rng, b []byte) []byte {
	rs := []rune(string(b))
	if len(rs) < 3 {
		return append(b[:0], string(append(rs, rs[len(rs)-1]))...)
	}
	for i, c := range rs {
		if (c == 'å' || c == 'ä' || c == 'ö') && r.chance(0.5) {
			rs[i] = map[rune]rune{'å': 'a', 'ä': 'a', 'ö': 'o'}[c]
			return append(b[:0], string(rs)...)
		}
	}
	i := 1 + r.intn(len(rs)-2)
	switch r.intn(3) {
	case 0:
		if rs[i] != rs[i+1] {
			rs[i], rs[i+1] = rs[i+1], rs[i]
			break
		}
		fallthrough
	case 1:
		rs = append(rs[:i], rs[i+1:]...)
	default:
		rs = append(rs[:i+1], rs[i:]...)
	}
	return append(b[:0], string(rs)...)
}

func containsStr(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
