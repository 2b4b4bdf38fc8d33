package rules

import (
	"errors"
	"strings"
	"testing"
)

const testDirectory = "country,postal_code,place\n" +
	"SE,114 55,Stockholm\n" +
	"SE;411 01;Göteborg\n" +
	"SE\t194 30\tUpplands Väsby\tStockholm\t01\n" +
	"SE,\"386 31\",\"Färjestaden\"\n" +
	"SE,123 45,Sankt Ibb\n" +
	"SE,752 20,Uppsala\n" +
	"SE,752 20,Uppsala Centrum\n" +
	"PL,00-950,Warszawa\n" +
	"PL,30-001,Kraków\n" +
	"NO,0150,Oslo\n" +
	"GB,SW1A 1AA,London\n"

func loadTestDir(t *testing.T) *PostcodeDir {
	t.Helper()
	d, err := LoadPostcodes(strings.NewReader(testDirectory))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLoadPostcodes(t *testing.T) {
	d := loadTestDir(t)
	if d.Len() != 8 {
		t.Errorf("Len = %d, want 8 (4-digit and alphanumeric codes skipped, one code with two places)", d.Len())
	}
	if _, err := LoadPostcodes(strings.NewReader("country,postal_code,place\n")); !errors.Is(err, ErrPostcodeFormat) {
		t.Errorf("header only: err = %v", err)
	}
}

func TestCheckPostal(t *testing.T) {
	dir := loadTestDir(t)
	tests := []struct {
		name    string
		code    string
		city    string
		country string
		dir     *PostcodeDir
		want    string
		valid   bool
		reason  PostalReason
		place   string
	}{
		{"canonical", "114 55", "Stockholm", "SE", dir, "114 55", true, PostalOK, "Stockholm"},
		{"no space", "11455", "STOCKHOLM", "SE", dir, "114 55", true, PostalOK, "Stockholm"},
		{"hyphen", "114-55", "stockholm", "SE", dir, "114 55", true, PostalOK, "Stockholm"},
		{"country prefix", "SE-114 55", "Stockholm", "SE", dir, "114 55", true, PostalOK, "Stockholm"},
		{"S prefix", "S-11455", "Stockholm", "SE", dir, "114 55", true, PostalOK, "Stockholm"},
		{"diacritics folded", "41101", "Goteborg", "SE", dir, "411 01", true, PostalOK, "Göteborg"},
		{"exonym", "41101", "Gothenburg", "SE", dir, "411 01", true, PostalOK, "Göteborg"},
		{"hyphen vs space", "194 30", "Upplands-Väsby", "SE", dir, "194 30", true, PostalOK, "Upplands Väsby"},
		{"no space in city", "194 30", "UpplandsVäsby", "SE", dir, "194 30", true, PostalOK, "Upplands Väsby"},
		{"quoted directory", "38631", "FÄRJESTADEN", "SE", dir, "386 31", true, PostalOK, "Färjestaden"},
		{"St. is Sankt", "12345", "St. Ibb", "SE", dir, "123 45", true, PostalOK, "Sankt Ibb"},
		{"S:t is Sankt", "12345", "S:t Ibb", "SE", dir, "123 45", true, PostalOK, "Sankt Ibb"},
		{"second place", "75220", "Uppsala Centrum", "SE", dir, "752 20", true, PostalOK, "Uppsala Centrum"},
		{"empty city filled", "11455", "", "SE", dir, "114 55", true, PostalOK, "Stockholm"},
		{"empty city two places", "75220", "", "SE", dir, "752 20", true, PostalOK, ""},
		{"mismatch", "11455", "Malmö", "SE", dir, "114 55", true, PostalCityMismatch, ""},
		{"unknown", "99999", "Stockholm", "SE", dir, "999 99", false, PostalUnknown, ""},
		{"leading zero", "01234", "", "SE", dir, "", false, PostalFormat, ""},
		{"four digits", "1145", "", "SE", dir, "", false, PostalFormat, ""},
		{"letters", "114 5A", "", "SE", dir, "", false, PostalFormat, ""},
		{"odd spacing", "1 1455", "", "SE", dir, "", false, PostalFormat, ""},
		{"missing", "  ", "Stockholm", "SE", dir, "", false, PostalMissing, ""},
		{"no directory", "11455", "Anywhere", "SE", nil, "114 55", true, PostalOK, ""},
		{"pl canonical", "00-950", "Warszawa", "PL", dir, "00-950", true, PostalOK, "Warszawa"},
		{"pl digits", "00950", "WARSAW", "PL", dir, "00-950", true, PostalOK, "Warszawa"},
		{"pl accents", "30-001", "Krakow", "PL", dir, "30-001", true, PostalOK, "Kraków"},
		{"pl format", "0-0950", "", "PL", dir, "", false, PostalFormat, ""},
		{"other country", "0150", "Oslo", "NO", dir, "0150", false, PostalOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a Arena
			p := CheckPostal(tc.code, tc.city, tc.country, tc.dir, &a)
			if p.Code != tc.want || p.Valid != tc.valid || p.Reason != tc.reason || p.City != tc.place {
				t.Errorf("got %q valid=%v reason=%d city=%q; want %q %v %d %q", p.Code, p.Valid, p.Reason, p.City, tc.want, tc.valid, tc.reason, tc.place)
			}
		})
	}
}
