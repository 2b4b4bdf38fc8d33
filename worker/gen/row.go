package gen

// Columns of a delivery in canonical order.
const (
	colFirst = iota
	colLast
	colStreet
	colPostal
	colCity
	colPhone
	colMobile
	colEmail
	colPNR
	numCols
)

// Header names per dialect, in canonical column order.
var headerNames = map[string][numCols]string{
	HeadersSwedish: {"Förnamn", "Efternamn", "Utdelningsadress", "Postnummer", "Postort", "Telefon", "Mobil", "E-post", "Personnummer"},
	HeadersEnglish: {"first_name", "last_name", "street_address", "postal_code", "city", "phone", "mobile", "email", "national_id"},
	HeadersPolish:  {"Imię", "Nazwisko", "Adres", "Kod pocztowy", "Miejscowość", "Telefon", "Telefon komórkowy", "E-mail", "PESEL"},
}

// polishASCII is the Polish header as Windows-1252 files write it.
var polishASCII = [numCols]string{"Imie", "Nazwisko", "Adres", "Kod pocztowy", "Miejscowosc", "Telefon", "Telefon komorkowy", "E-mail", "PESEL"}

// Row kinds in the truth.
const (
	KindOriginal = "original"
	KindExactDup = "exact_dup"
	KindNearDup  = "near_dup"
)

// row is one delivery row and what the truth says about it.
type row struct {
	f   [numCols][]byte
	raw [numCols]bool // written as is, never quoted (a defect)
	n   int           // fields written; fewer than numCols for too_few_fields

	kind  string
	pid   uint32
	dupOf int64

	phone, mobile             phoneNum
	phoneOK, mobileOK         bool
	phoneListed, mobileListed bool
	phoneIsMobile             bool // the phone column holds the person's mobile
	postalOK, pnrOK, emailOK  bool
	pnr                       pnrDigits
	rejected, repairable      bool
	defects, variant          []string
}

func (w *row) reset() {
	for i := range w.f {
		w.f[i] = w.f[i][:0]
		w.raw[i] = false
	}
	w.n = numCols
	w.phoneOK, w.mobileOK, w.phoneListed, w.mobileListed, w.phoneIsMobile = false, false, false, false, false
	w.postalOK, w.pnrOK, w.emailOK, w.rejected, w.repairable = false, false, false, false, false
	w.defects, w.variant = w.defects[:0], w.variant[:0]
}

// fill writes the person's values as the supplier writes them.
func (g *generator) fill(w *row, p *person) {
	w.reset()
	w.pid = p.id
	w.f[colFirst] = append(w.f[colFirst], p.first...)
	w.f[colLast] = append(w.f[colLast], p.last...)
	g.fillStreet(w, p, p.abbrev)
	w.f[colPostal] = appendCode(w.f[colPostal], p.code, p.codeNoGap)
	if p.cityUpper {
		w.f[colCity] = append(w.f[colCity], g.post.upper[p.town]...)
	} else {
		w.f[colCity] = append(w.f[colCity], towns[p.town].name...)
	}
	w.postalOK = true
	switch {
	case p.mobInPhone:
		w.f[colPhone] = p.mobile.appendForm(w.f[colPhone], p.mobileForm)
		w.phone, w.phoneOK, w.phoneListed, w.phoneIsMobile = p.mobile, true, p.nixMobile, true
	case p.hasLand:
		w.f[colPhone] = p.land.appendForm(w.f[colPhone], p.landForm)
		w.phone, w.phoneOK, w.phoneListed = p.land, true, p.nixLand
	}
	if p.hasMobile && !p.mobInPhone {
		w.f[colMobile] = p.mobile.appendForm(w.f[colMobile], p.mobileForm)
		w.mobile, w.mobileOK, w.mobileListed = p.mobile, true, p.nixMobile
	}
	if p.hasEmail() {
		w.f[colEmail] = append(p.appendEmailLocal(w.f[colEmail]), '@')
		w.f[colEmail] = append(w.f[colEmail], p.domain...)
		w.emailOK = true
	}
	w.pnr = p.pnr.digits()
	w.f[colPNR] = w.pnr.appendForm(w.f[colPNR], p.pnrForm, p.pnr.age(g.asOfDate) >= 100)
	w.pnrOK = true
}

func (g *generator) fillStreet(w *row, p *person, abbrev bool) {
	w.f[colStreet] = w.f[colStreet][:0]
	if p.careOf != "" {
		w.f[colStreet] = append(w.f[colStreet], "c/o "...)
		w.f[colStreet] = append(w.f[colStreet], p.careOf...)
		w.f[colStreet] = append(w.f[colStreet], '\n')
	}
	if abbrev {
		w.f[colStreet] = append(w.f[colStreet], p.streetAbbr...)
	} else {
		w.f[colStreet] = append(w.f[colStreet], p.street...)
	}
}

// reformatPhone writes one of the row's numbers in another form.
func (g *generator) reformatPhone(w *row, p *person) bool {
	switch {
	case w.mobileOK && (!w.phoneOK || g.r.chance(0.5)):
		w.f[colMobile] = p.mobile.appendForm(w.f[colMobile][:0], otherForm(&g.r, p.mobileForm, true))
	case w.phoneOK:
		form := p.landForm
		if w.phoneIsMobile {
			form = p.mobileForm
		}
		w.f[colPhone] = w.phone.appendForm(w.f[colPhone][:0], otherForm(&g.r, form, w.phoneIsMobile))
	default:
		return false
	}
	return true
}

func otherForm(r *rng, f uint8, mobile bool) uint8 {
	for {
		if g := drawPhoneForm(r, mobile); g != f {
			return g
		}
	}
}
