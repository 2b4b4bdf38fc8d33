package gen

// TruthColumns is the header of truth.csv. Columns after "repairable" are
// extras beyond the original brief; read the file by column name.
var TruthColumns = []string{
	"source_line", "person_id", "kind", "dup_of_line", "phone_e164", "mobile_e164",
	"phone_valid", "mobile_valid", "postal_valid", "pnr", "pnr_valid", "email_valid",
	"nix_listed", "nix_consent", "deceased", "defects", "repairable",
	"internal_dnc", "variant",
}

// verdict is the truth's suppression marks for a row.
type verdict struct {
	nixListed, nixConsent, deceased, dnc bool
}

func (g *generator) judge(w *row, p *person) verdict {
	var v verdict
	v.nixListed = (w.phoneOK && w.phoneListed) || (w.mobileOK && w.mobileListed)
	v.nixConsent = v.nixListed && p.consent == consentValid
	v.deceased = w.pnrOK && p.deceased
	switch p.dnc {
	case dncPhone:
		// The listed number is the mobile if the person has one.
		if p.hasMobile {
			v.dnc = (w.mobileOK && !p.mobInPhone) || (w.phoneOK && w.phoneIsMobile)
		} else {
			v.dnc = w.phoneOK && !w.phoneIsMobile
		}
	case dncPNR:
		v.dnc = w.pnrOK
	case dncEmail:
		v.dnc = w.emailOK
	}
	return v
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

func appendJoined(b []byte, s []string) []byte {
	for i, x := range s {
		if i > 0 {
			b = append(b, '|')
		}
		b = append(b, x...)
	}
	return b
}

// appendTruth writes one truth.csv line. No value contains a comma or quote.
func appendTruth(b []byte, line int64, w *row, v verdict) []byte {
	b = appendDigits(b, uint64(line), 1)
	b = append(b, ',')
	b = appendDigits(b, uint64(w.pid), 1)
	b = append(b, ',')
	b = append(b, w.kind...)
	b = append(b, ',')
	b = appendDigits(b, uint64(w.dupOf), 1)
	b = append(b, ',')
	if w.phoneOK {
		b = w.phone.appendE164(b)
	}
	b = append(b, ',')
	if w.mobileOK {
		b = w.mobile.appendE164(b)
	}
	b = append(b, ',')
	b = appendBool(b, w.phoneOK)
	b = append(b, ',')
	b = appendBool(b, w.mobileOK)
	b = append(b, ',')
	b = appendBool(b, w.postalOK)
	b = append(b, ',')
	if w.pnrOK {
		b = w.pnr.append12(b)
	}
	b = append(b, ',')
	b = appendBool(b, w.pnrOK)
	b = append(b, ',')
	b = appendBool(b, w.emailOK)
	b = append(b, ',')
	b = appendBool(b, v.nixListed)
	b = append(b, ',')
	b = appendBool(b, v.nixConsent)
	b = append(b, ',')
	b = appendBool(b, v.deceased)
	b = append(b, ',')
	b = appendJoined(b, w.defects)
	b = append(b, ',')
	b = appendBool(b, w.repairable)
	b = append(b, ',')
	b = appendBool(b, v.dnc)
	b = append(b, ',')
	b = appendJoined(b, w.variant)
	return append(b, '\n')
}
