package formats

import (
	"reflect"
	"testing"
)

func TestMapHeader(t *testing.T) {
	tests := []struct {
		name    string
		header  []string
		profile *Profile
		want    []Field
	}{
		{"swedish", []string{"Förnamn", "Efternamn", "Utdelningsadress", "C/O", "Postnr", "Postort", "Land", "Telefon", "Mobiltelefon", "Telefon 2", "E-post", "Personnummer"},
			nil, []Field{FieldFirstName, FieldLastName, FieldStreet, FieldCO, FieldPostalCode, FieldCity, FieldCountry, FieldPhone, FieldMobile, FieldPhoneOther, FieldEmail, FieldPNR}},
		{"swedish unaccented and spaced", []string{"FORNAMN", " efternamn ", "Gatuadress", "Post-nummer", "Ort", "Tel.", "Mobil", "Arbetstelefon", "Epost", "Pers.nr", "Samordningsnummer"},
			nil, []Field{FieldFirstName, FieldLastName, FieldStreet, FieldPostalCode, FieldCity, FieldPhone, FieldMobile, FieldPhoneOther, FieldEmail, FieldPNR, FieldNone}},
		{"english snake case", []string{"first_name", "last_name", "street_address", "zip_code", "city", "country", "phone", "cell", "work phone", "e-mail", "national_id"},
			nil, []Field{FieldFirstName, FieldLastName, FieldStreet, FieldPostalCode, FieldCity, FieldCountry, FieldPhone, FieldMobile, FieldPhoneOther, FieldEmail, FieldPNR}},
		{"english other spellings", []string{"Given Name", "Surname", "Full Name", "Address", "Care Of", "Postcode", "Town", "Telephone", "Mobile", "Email", "SSN"},
			nil, []Field{FieldFirstName, FieldLastName, FieldFullName, FieldStreet, FieldCO, FieldPostalCode, FieldCity, FieldPhone, FieldMobile, FieldEmail, FieldPNR}},
		{"polish", []string{"Imię", "Nazwisko", "Ulica", "Kod pocztowy", "Miejscowość", "Kraj", "Telefon stacjonarny", "Telefon komórkowy", "Komórka", "PESEL"},
			nil, []Field{FieldFirstName, FieldLastName, FieldStreet, FieldPostalCode, FieldCity, FieldCountry, FieldPhone, FieldMobile, FieldPhoneOther, FieldPNR}},
		{"polish full name", []string{"Imię i nazwisko", "Adres", "Miasto", "Email"},
			nil, []Field{FieldFullName, FieldStreet, FieldCity, FieldEmail}},
		{"duplicates", []string{"Telefon", "Tel", "Mobil", "Mobile", "Namn", "Name", "Ort", "City"},
			nil, []Field{FieldPhone, FieldPhoneOther, FieldMobile, FieldPhoneOther, FieldFullName, FieldNone, FieldCity, FieldNone}},
		{"consent", []string{"Samtycke företag", "Samtyckesdatum"},
			nil, []Field{FieldConsentCompany, FieldConsentDate}},
		{"unknown", []string{"Kundnummer", ""}, nil, []Field{FieldNone, FieldNone}},
		{"profile overrides and ignores", []string{"Nr", "Telefon", "Tel", "Kod"},
			&Profile{Columns: map[string]string{"nr": "mobile", "Telefon": "-", "KOD": "postal_code"}},
			[]Field{FieldMobile, FieldNone, FieldPhone, FieldPostalCode}},
		{"profile claims before automatic", []string{"Telefon", "Hem"},
			&Profile{Columns: map[string]string{"Hem": "phone"}},
			[]Field{FieldPhoneOther, FieldPhone}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := MapHeader(tt.header, tt.profile)
			if !reflect.DeepEqual(m.Columns, tt.want) {
				var got, want []string
				for _, f := range m.Columns {
					got = append(got, f.String())
				}
				for _, f := range tt.want {
					want = append(want, f.String())
				}
				t.Errorf("columns\n got %q\nwant %q", got, want)
			}
			if !reflect.DeepEqual(m.Names, tt.header) {
				t.Errorf("names %q", m.Names)
			}
		})
	}
}

func TestFoldHeader(t *testing.T) {
	tests := map[string]string{
		"Förnamn":       "fornamn",
		"E-post":        "epost",
		"c/o":           "co",
		"Miejscowość":   "miejscowosc",
		"Komórka":       "komorka",
		"first_name":    "firstname",
		"Tel. 2":        "tel2",
		"\ufeffUlica Ł": "ulical",
	}
	for in, want := range tests {
		if got := foldHeader(in); got != want {
			t.Errorf("foldHeader(%q) = %q, want %q", in, got, want)
		}
	}
}
