// Package formats reads supplier files (delimited text, XLSX, gzip) into
// records and writes washed rows as Parquet. It knows file layouts, not wash
// rules: mapping a header to canonical fields is its job, deciding whether a
// phone number is valid is not.
package formats

// Field is a canonical input column that the wash understands.
type Field uint8

// Canonical fields. FieldNone marks a column that maps to nothing known; its
// values are carried through in Row.Extra, never dropped.
const (
	FieldNone           Field = iota
	FieldFirstName            // given name(s)
	FieldLastName             // family name
	FieldFullName             // "Anna Andersson" in one cell, split by the normaliser
	FieldStreet               // street address line
	FieldCO                   // c/o line
	FieldPostalCode           // postal code
	FieldCity                 // post town
	FieldCountry              // country name or ISO code
	FieldPhone                // landline or unspecified phone ("Telefon")
	FieldMobile               // mobile phone ("Mobil")
	FieldPhoneOther           // further phone columns ("Telefon 2", "Arbete")
	FieldEmail                // e-mail address
	FieldPNR                  // personnummer, samordningsnummer or PESEL
	FieldConsentCompany       // company named in a consent the supplier collected
	FieldConsentDate          // date of that consent
	numFields
)

var fieldNames = [numFields]string{
	FieldNone:           "",
	FieldFirstName:      "first_name",
	FieldLastName:       "last_name",
	FieldFullName:       "full_name",
	FieldStreet:         "street",
	FieldCO:             "co",
	FieldPostalCode:     "postal_code",
	FieldCity:           "city",
	FieldCountry:        "country",
	FieldPhone:          "phone",
	FieldMobile:         "mobile",
	FieldPhoneOther:     "phone_other",
	FieldEmail:          "email",
	FieldPNR:            "pnr",
	FieldConsentCompany: "consent_company",
	FieldConsentDate:    "consent_date",
}

// String returns the canonical snake_case name ("" for FieldNone).
func (f Field) String() string {
	if f >= numFields {
		return "field(?)"
	}
	return fieldNames[f]
}

// ParseField returns the field with the given canonical name.
func ParseField(name string) (Field, bool) {
	for i, n := range fieldNames {
		if n != "" && n == name {
			return Field(i), true
		}
	}
	return FieldNone, false
}

// Fields lists every canonical field except FieldNone, in declaration order.
func Fields() []Field {
	out := make([]Field, 0, numFields-1)
	for f := FieldFirstName; f < numFields; f++ {
		out = append(out, f)
	}
	return out
}
