package formats

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// headerSynonyms maps folded header names (see foldHeader) to fields:
// Swedish, Polish and English names seen in supplier files.
var headerSynonyms = map[string]Field{
	// first name
	"fornamn": FieldFirstName, "firstname": FieldFirstName, "first": FieldFirstName,
	"givenname": FieldFirstName, "forename": FieldFirstName, "imie": FieldFirstName,
	"tilltalsnamn": FieldFirstName, "fnamn": FieldFirstName, "namnfornamn": FieldFirstName,
	// last name
	"efternamn": FieldLastName, "lastname": FieldLastName, "last": FieldLastName,
	"surname": FieldLastName, "familyname": FieldLastName, "nazwisko": FieldLastName,
	"enamn": FieldLastName, "namnefternamn": FieldLastName,
	// full name
	"namn": FieldFullName, "name": FieldFullName, "fullname": FieldFullName,
	"fullstandigtnamn": FieldFullName, "imieinazwisko": FieldFullName,
	"kontaktperson": FieldFullName, "contactname": FieldFullName, "personnamn": FieldFullName,
	"kundnamn": FieldFullName, "customername": FieldFullName,
	// street
	"utdelningsadress": FieldStreet, "gatuadress": FieldStreet, "adress": FieldStreet,
	"address": FieldStreet, "street": FieldStreet, "streetaddress": FieldStreet,
	"address1": FieldStreet, "addressline1": FieldStreet, "adress1": FieldStreet,
	"adressrad1": FieldStreet, "utdelningsadress1": FieldStreet, "gata": FieldStreet,
	"ulica": FieldStreet, "adres": FieldStreet, "ulicainumer": FieldStreet,
	"adreszamieszkania": FieldStreet, "bostadsadress": FieldStreet,
	// c/o
	"co": FieldCO, "careof": FieldCO, "coadress": FieldCO, "coaddress": FieldCO,
	"conamn": FieldCO,
	// postal code
	"postnummer": FieldPostalCode, "postnr": FieldPostalCode, "postalcode": FieldPostalCode,
	"zip": FieldPostalCode, "zipcode": FieldPostalCode, "postcode": FieldPostalCode,
	"kodpocztowy": FieldPostalCode, "postkod": FieldPostalCode, "postal": FieldPostalCode,
	// city
	"postort": FieldCity, "ort": FieldCity, "city": FieldCity, "town": FieldCity,
	"miejscowosc": FieldCity, "miasto": FieldCity, "poczta": FieldCity, "stad": FieldCity,
	"posttown": FieldCity,
	// country
	"land": FieldCountry, "country": FieldCountry, "kraj": FieldCountry,
	"landskod": FieldCountry, "countrycode": FieldCountry,
	// phone
	"telefon": FieldPhone, "tel": FieldPhone, "telefonnummer": FieldPhone, "telnr": FieldPhone,
	"phone": FieldPhone, "telephone": FieldPhone, "landline": FieldPhone,
	"telefonstacjonarny": FieldPhone, "phonenumber": FieldPhone, "hemtelefon": FieldPhone,
	"bostadstelefon": FieldPhone, "telefonhem": FieldPhone, "nrtelefonu": FieldPhone,
	"telefonnr": FieldPhone, "telephonenumber": FieldPhone, "homephone": FieldPhone,
	"telefon1": FieldPhone, "tel1": FieldPhone, "phone1": FieldPhone,
	// mobile
	"mobil": FieldMobile, "mobiltelefon": FieldMobile, "mobilnummer": FieldMobile,
	"mobilnr": FieldMobile, "mobiltel": FieldMobile, "mobile": FieldMobile,
	"mobilephone": FieldMobile, "mobilenumber": FieldMobile, "cell": FieldMobile,
	"cellphone": FieldMobile, "cellular": FieldMobile, "komorka": FieldMobile,
	"telefonkomorkowy": FieldMobile, "nrkomorki": FieldMobile, "gsm": FieldMobile,
	"handy": FieldMobile,
	// other phones
	"telefon2": FieldPhoneOther, "tel2": FieldPhoneOther, "phone2": FieldPhoneOther,
	"telefon3": FieldPhoneOther, "tel3": FieldPhoneOther, "phone3": FieldPhoneOther,
	"arbetstelefon": FieldPhoneOther, "telarbete": FieldPhoneOther, "telefonarbete": FieldPhoneOther,
	"arbete": FieldPhoneOther, "workphone": FieldPhoneOther, "businessphone": FieldPhoneOther,
	"otherphone": FieldPhoneOther, "ovrigtelefon": FieldPhoneOther, "telefonsluzbowy": FieldPhoneOther,
	"mobil2": FieldPhoneOther, "mobile2": FieldPhoneOther, "direktnummer": FieldPhoneOther,
	"vaxel": FieldPhoneOther,
	// e-mail
	"epost": FieldEmail, "epostadress": FieldEmail, "mejl": FieldEmail, "mejladress": FieldEmail,
	"email": FieldEmail, "emailaddress": FieldEmail, "mail": FieldEmail, "mailadress": FieldEmail,
	"adresemail": FieldEmail, "emailadress": FieldEmail,
	// identity number
	"personnummer": FieldPNR, "pnr": FieldPNR, "persnr": FieldPNR, "personnr": FieldPNR,
	"nationalid": FieldPNR, "ssn": FieldPNR, "pesel": FieldPNR, "samordningsnummer": FieldPNR,
	"personalidentitynumber": FieldPNR, "personid": FieldPNR, "idnummer": FieldPNR,
	"personorganisationsnummer": FieldPNR,
	// consent
	"samtyckeforetag": FieldConsentCompany, "medgivandeforetag": FieldConsentCompany,
	"consentcompany": FieldConsentCompany, "samtyckebolag": FieldConsentCompany,
	"samtyckesdatum": FieldConsentDate, "samtyckedatum": FieldConsentDate,
	"medgivandedatum": FieldConsentDate, "consentdate": FieldConsentDate, "datazgody": FieldConsentDate,
}

// foldHeader lowers case, strips diacritics (å→a, ö→o, ł→l...) and drops
// everything but letters and digits (spaces, "_", "-", ".", "/").
func foldHeader(s string) string {
	var b strings.Builder
	for _, c := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, c):
			continue
		case c == 'ł' || c == 'Ł':
			c = 'l'
		case c == 'ø' || c == 'Ø':
			c = 'o'
		case c == 'æ' || c == 'Æ':
			b.WriteString("ae")
			continue
		case c == 'ß':
			b.WriteString("ss")
			continue
		}
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			b.WriteRune(unicode.ToLower(c))
		}
	}
	return b.String()
}

// MapHeader maps header cells to canonical fields. A profile's Columns
// (header name, exact or folded, to a canonical name or "-") win over the
// automatic synonyms. When two columns map to the same field, the first
// keeps it; a later phone or mobile column becomes FieldPhoneOther, any
// other later duplicate FieldNone (its values still reach Row.Extra).
// Profile columns claim their fields before automatic ones.
func MapHeader(header []string, p *Profile) Mapping {
	m := Mapping{Columns: make([]Field, len(header)), Names: append([]string(nil), header...)}
	fromProfile := make([]bool, len(header))
	if p != nil && len(p.Columns) > 0 {
		folded := make(map[string]string, len(p.Columns))
		for k, v := range p.Columns {
			folded[foldHeader(k)] = v
		}
		for i, h := range header {
			v, ok := p.Columns[h]
			if !ok {
				v, ok = folded[foldHeader(h)]
			}
			if !ok {
				continue
			}
			fromProfile[i] = true
			if f, ok := ParseField(v); ok {
				m.Columns[i] = f
			} else if v == "-" {
				if m.Ignored == nil {
					m.Ignored = make([]bool, len(header))
				}
				m.Ignored[i] = true
			}
		}
	}
	var claimed [numFields]bool
	assign := func(i int, f Field) {
		switch {
		case f == FieldNone || f == FieldPhoneOther:
		case claimed[f] && (f == FieldPhone || f == FieldMobile):
			f = FieldPhoneOther
		case claimed[f]:
			f = FieldNone
		}
		claimed[f] = true
		m.Columns[i] = f
	}
	for i := range header {
		if fromProfile[i] {
			assign(i, m.Columns[i])
		}
	}
	for i, h := range header {
		if !fromProfile[i] {
			assign(i, headerSynonyms[foldHeader(h)])
		}
	}
	return m
}
