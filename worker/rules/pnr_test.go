package rules

import (
	"encoding/binary"
	"encoding/csv"
	"os"
	"strings"
	"testing"
	"unsafe"
)

var asOf2026 = Date{2026, 11, 22}

// TestPersonnummerConformance runs the personnummer project's shared test
// vectors (testdata/rules/personnummer.csv).
func TestPersonnummerConformance(t *testing.T) {
	f, err := os.Open("../../testdata/rules/personnummer.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 40 {
		t.Fatalf("only %d rows", len(rows))
	}
	for _, row := range rows[1:] {
		in, wantValid, kind := row[0], row[1] == "true", row[2]
		t.Run(in, func(t *testing.T) {
			id := ParsePersonnummer(in, asOf2026)
			if id.Valid != wantValid {
				t.Fatalf("valid = %v (reason %d), want %v", id.Valid, id.Reason, wantValid)
			}
			if wantValid && id.Kind.String() != kind {
				t.Errorf("kind = %v, want %s", id.Kind, kind)
			}
			if !wantValid && id.Reason == IDOK {
				t.Error("invalid without a reason")
			}
		})
	}
}

func TestParsePersonnummer(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		number string
		birth  string
		gender byte
		kind   IDKind
		reason IDReason
	}{
		{"12 digits", "198211059954", "198211059954", "1982-11-05", 'M', IDPersonnummer, IDOK},
		{"10 digits dash", "821105-9954", "198211059954", "1982-11-05", 'M', IDPersonnummer, IDOK},
		{"10 digits recent century", "0905271474", "200905271474", "2009-05-27", 'M', IDPersonnummer, IDOK},
		{"plus is 100 years", "090527+1474", "190905271474", "1909-05-27", 'M', IDPersonnummer, IDOK},
		{"12 digits with plus", "19090527+1474", "190905271474", "1909-05-27", 'M', IDPersonnummer, IDOK},
		{"12 digits with dash", "19901211-9948", "199012119948", "1990-12-11", 'F', IDPersonnummer, IDOK},
		{"woman", "901211-9948", "199012119948", "1990-12-11", 'F', IDPersonnummer, IDOK},
		{"samordningsnummer", "570574-9959", "195705749959", "1957-05-14", 'M', IDSamordningsnummer, IDOK},
		{"padded", "  821105-9954 ", "198211059954", "1982-11-05", 'M', IDPersonnummer, IDOK},
		{"empty", "", "", "", 0, IDNone, IDMissing},
		{"space inside", "821105 9954", "", "", 0, IDNone, IDFormat},
		{"nine digits", "82110599", "", "", 0, IDNone, IDFormat},
		{"eleven digits", "82110599540", "", "", 0, IDNone, IDFormat},
		{"letters", "8211O5-9954", "", "", 0, IDNone, IDFormat},
		{"dash misplaced", "8211-059954", "", "", 0, IDNone, IDFormat},
		{"two signs", "821105--9954", "", "", 0, IDNone, IDFormat},
		{"checksum", "821105-9955", "", "", 0, IDNone, IDChecksum},
		{"month 13", "821305-9952", "", "", 0, IDNone, IDDate},
		{"birth number 000", "150916-0006", "", "", 0, IDNone, IDFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := ParsePersonnummer(tc.in, asOf2026)
			birth := string(id.AppendBirthDate(nil))
			if id.Number() != tc.number || birth != tc.birth || id.Gender != tc.gender || id.Kind != tc.kind || id.Reason != tc.reason {
				t.Errorf("got %q %q %q %v reason %d; want %q %q %q %v reason %d",
					id.Number(), birth, id.Gender, id.Kind, id.Reason, tc.number, tc.birth, tc.gender, tc.kind, tc.reason)
			}
			if id.Valid != (tc.reason == IDOK) {
				t.Errorf("valid %v with reason %d", id.Valid, id.Reason)
			}
		})
	}
}

// Checksum-valid numbers with impossible dates are built with luhnDigit.
func luhnDigit(nine string) byte {
	b := []byte(nine + "0")
	for c := byte('0'); c <= '9'; c++ {
		b[9] = c
		if luhn(b) {
			return c
		}
	}
	panic("no check digit")
}

func TestPersonnummerDates(t *testing.T) {
	tests := []struct {
		name  string
		nine  string // YYMMDDNNN
		sep   string
		valid bool
		birth string
	}{
		{"leap day 2000", "000229123", "-", true, "2000-02-29"},
		{"leap day 1900 is no date", "000229123", "+", false, ""},
		{"today is allowed", "261122123", "-", true, "2026-11-22"},
		{"tomorrow is last century", "261123123", "-", true, "1926-11-23"},
		{"day 0", "820100123", "-", false, ""},
		{"feb 30", "820230123", "-", false, ""},
		{"future with century", "20261224123", "", false, ""},
		{"past with century", "19261224123", "", true, "1926-12-24"},
		{"samordning day 92", "820192123", "-", false, ""},
		{"samordning day 61", "820161123", "-", true, "1982-01-01"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nine := tc.nine[len(tc.nine)-9:]
			in := tc.nine[:len(tc.nine)-3] + tc.sep + tc.nine[len(tc.nine)-3:] + string(luhnDigit(nine))
			id := ParsePersonnummer(in, asOf2026)
			if id.Valid != tc.valid || string(id.AppendBirthDate(nil)) != tc.birth {
				t.Errorf("%s: valid %v birth %q reason %d; want %v %q", in, id.Valid, id.AppendBirthDate(nil), id.Reason, tc.valid, tc.birth)
			}
			if !tc.valid && id.Reason != IDDate {
				t.Errorf("reason %d, want date", id.Reason)
			}
		})
	}
}

func TestParsePESEL(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		birth  string
		gender byte
		reason IDReason
	}{
		{"1900s man", "44051401359", "1944-05-14", 'M', IDOK},
		{"2000s woman", peselWith("0227080362"), "2002-07-08", 'F', IDOK},
		{"1800s", peselWith("8581150155"), "1885-01-15", 'M', IDOK},
		{"2100s is future", peselWith("0541150155"), "", 0, IDDate},
		{"checksum", "44051401358", "", 0, IDChecksum},
		{"short", "4405140135", "", 0, IDFormat},
		{"letters", "4405140135X", "", 0, IDFormat},
		{"empty", " ", "", 0, IDMissing},
		{"month 13", peselWith("4413140135"), "", 0, IDDate},
		{"feb 29 2001", peselWith("0122290135"), "", 0, IDDate},
		{"feb 29 2004", peselWith("0422290135"), "2004-02-29", 'M', IDOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := ParsePESEL(tc.in, asOf2026)
			if string(id.AppendBirthDate(nil)) != tc.birth || id.Gender != tc.gender || id.Reason != tc.reason {
				t.Errorf("got %q %q reason %d; want %q %q reason %d", id.AppendBirthDate(nil), id.Gender, id.Reason, tc.birth, tc.gender, tc.reason)
			}
			if id.Valid && (id.Kind != IDPESEL || id.Number() != strings.TrimSpace(tc.in)) {
				t.Errorf("kind %v number %q", id.Kind, id.Number())
			}
		})
	}
}

// peselWith appends the check digit to ten digits.
func peselWith(ten string) string {
	w := [10]int{1, 3, 7, 9, 1, 3, 7, 9, 1, 3}
	sum := 0
	for i := range w {
		sum += int(ten[i]-'0') * w[i]
	}
	return ten + string(byte('0'+(10-sum%10)%10))
}

func TestParseIdentity(t *testing.T) {
	if id := ParseIdentity("44051401359", asOf2026); id.Kind != IDPESEL {
		t.Errorf("11 digits: kind %v, want pesel", id.Kind)
	}
	if id := ParseIdentity("821105-9954", asOf2026); id.Kind != IDPersonnummer {
		t.Errorf("personnummer: kind %v", id.Kind)
	}
}

func FuzzPersonnummer(f *testing.F) {
	for _, s := range []string{"198211059954", "821105-9954", "090527+1474", "19090527+1474", "570574-9959", "", "+", "--", "000229-1234"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id := ParsePersonnummer(s, asOf2026)
		if !id.Valid {
			if id.Reason == IDOK || id.Number() != "" {
				t.Fatalf("invalid %q with reason %d number %q", s, id.Reason, id.Number())
			}
			return
		}
		again := ParsePersonnummer(id.Number(), asOf2026)
		if again != id {
			t.Fatalf("%q -> %q does not re-parse to the same: %+v vs %+v", s, id.Number(), id, again)
		}
		var a Arena
		if num, birth := id.ArenaNumberBirth(s, &a); num != id.Number() || birth != string(id.AppendBirthDate(nil)) {
			t.Fatalf("%q: arena strings %q %q, want %q %q", s, num, birth, id.Number(), id.AppendBirthDate(nil))
		}
	})
}

func FuzzPESEL(f *testing.F) {
	for _, s := range []string{"44051401359", "02270803628", "85811501554", "", "00000000000", "99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id := ParsePESEL(s, asOf2026)
		if !id.Valid {
			if id.Reason == IDOK {
				t.Fatalf("invalid %q without reason", s)
			}
			return
		}
		again := ParsePESEL(id.Number(), asOf2026)
		if again != id {
			t.Fatalf("%q does not re-parse to the same", s)
		}
	})
}

// TestDigits8 tries every byte value at every position, alone and in
// pairs, among digits.
func TestDigits8(t *testing.T) {
	isDigit := func(b int) bool { return b >= '0' && b <= '9' }
	for pos := 0; pos < 7; pos++ {
		for b1 := 0; b1 < 256; b1++ {
			for b2 := 0; b2 < 256; b2++ {
				x := [8]byte{'3', '0', '9', '5', '3', '0', '9', '5'}
				x[pos], x[pos+1] = byte(b1), byte(b2)
				want := isDigit(b1) && isDigit(b2)
				if got := digits8(binary.LittleEndian.Uint64(x[:])); got != want {
					t.Fatalf("bytes %#x %#x at %d: digits8 %v, want %v", b1, b2, pos, got, want)
				}
			}
		}
	}
}

// TestArenaNumberBirth checks the arena strings against Number and
// AppendBirthDate, and that a number sent in normal form is viewed, not
// copied.
func TestArenaNumberBirth(t *testing.T) {
	tests := []struct {
		name, raw string
		view      bool
	}{
		{"normal form", "198211059954", true},
		{"ten digits", "8211059954", false},
		{"with hyphen", "821105-9954", false},
		{"plus", "821105+9954", false},
		{"samordningsnummer", "198211659951", true},
		{"pesel", "44051401359", true},
		{"padded", " 198211059954 ", false},
		{"invalid", "821105-9955", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a Arena
			id := ParseIdentity(tc.raw, asOf2026)
			if id.Valid != (tc.name != "invalid") {
				t.Fatalf("valid %v (%d)", id.Valid, id.Reason)
			}
			num, birth := id.ArenaNumberBirth(tc.raw, &a)
			wantBirth := string(id.AppendBirthDate(nil))
			if num != id.Number() || birth != wantBirth {
				t.Fatalf("got %q %q, want %q %q", num, birth, id.Number(), wantBirth)
			}
			if id.Valid && (num != "" && unsafe.StringData(num) == unsafe.StringData(tc.raw)) != tc.view {
				t.Errorf("number views the input: %v, want %v", !tc.view, tc.view)
			}
			if num2, birth2 := id.ArenaNumberBirth(tc.raw, &a); num2 != num || birth2 != birth {
				t.Errorf("second call %q %q", num2, birth2)
			}
		})
	}
}
