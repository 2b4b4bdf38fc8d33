package rules

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestParsePhone(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		region string
		e164   string // "" when not valid
		typ    PhoneType
		valid  bool
		reason PhoneReason
	}{
		{"empty", "", "SE", "", PhoneUnknown, false, PhoneOK},
		{"blank", "   ", "SE", "", PhoneUnknown, false, PhoneOK},
		{"dashed mobile", "070-123 45 67", "SE", "+46701234567", PhoneMobile, true, PhoneOK},
		{"plain mobile", "0701234567", "SE", "+46701234567", PhoneMobile, true, PhoneOK},
		{"international", "+46 70 123 45 67", "SE", "+46701234567", PhoneMobile, true, PhoneOK},
		{"trunk in parens", "+46 (0)70-123 45 67", "SE", "+46701234567", PhoneMobile, true, PhoneOK},
		{"area in parens", "(070) 123 45 67", "SE", "+46701234567", PhoneMobile, true, PhoneOK},
		{"idd 00", "0046701234567", "SE", "+46701234567", PhoneMobile, true, PhoneOK},
		{"cc without plus", "46701234567", "SE", "+46701234567", PhoneMobile, true, PhoneOK},
		{"nbsp", "070\u00a0123\u00a045\u00a067", "SE", "+46701234567", PhoneMobile, true, PhoneOK},
		{"stockholm", "08-123 456 78", "SE", "+46812345678", PhoneFixedLine, true, PhoneOK},
		{"goteborg", "031-12 34 56", "SE", "+4631123456", PhoneFixedLine, true, PhoneOK},
		{"lund without trunk is national", "46123456", "SE", "+4646123456", PhoneFixedLine, true, PhoneOK},
		{"cc without plus, landline", "46812345678", "SE", "+46812345678", PhoneFixedLine, true, PhoneOK},
		{"too long", "0701234567890123456", "SE", "", PhoneUnknown, false, PhoneTooLong},
		{"ext", "070-123 45 67 ext 12", "SE", "+46701234567", PhoneMobile, true, PhoneOK},
		{"anknytning", "08-123 456 78 anknytning 234", "SE", "+46812345678", PhoneFixedLine, true, PhoneOK},
		{"ankn.", "08-123 456 78 ankn. 234", "SE", "+46812345678", PhoneFixedLine, true, PhoneOK},
		{"label", "Tel: 070-123 45 67", "SE", "+46701234567", PhoneMobile, true, PhoneOK},
		{"label after", "070-123 45 67 (mobil)", "SE", "+46701234567", PhoneMobile, true, PhoneOK},
		{"label after bare", "08-123 456 78 hem", "SE", "+46812345678", PhoneFixedLine, true, PhoneOK},
		{"label only", "Tel:", "SE", "", PhoneUnknown, false, PhoneOK},
		{"x extension", "070-123 45 67 x 12", "SE", "+46701234567", PhoneMobile, true, PhoneOK},
		{"hash extension", "070-123 45 67 #12", "SE", "+46701234567", PhoneMobile, true, PhoneOK},
		{"trunk in parens after 0046", "0046 (0)8-123 456 78", "SE", "+46812345678", PhoneFixedLine, true, PhoneOK},
		{"letters", "070-123 45 6A", "SE", "", PhoneUnknown, false, PhoneHasLetters},
		{"vanity", "0771-FLOWERS", "SE", "", PhoneUnknown, false, PhoneHasLetters},
		{"word", "saknas", "SE", "", PhoneUnknown, false, PhoneHasLetters},
		{"too short", "070-123", "SE", "", PhoneUnknown, false, PhoneTooShort},
		{"one digit", "7", "SE", "", PhoneUnknown, false, PhoneInvalid},
		{"premium", "0900-123 456", "SE", "", PhonePremiumRate, false, PhonePremium},
		{"premium 0939", "0939-123 456", "SE", "", PhonePremiumRate, false, PhonePremium},
		{"toll free", "020-123 456", "SE", "", PhoneTollFree, false, PhoneTollFreeNum},
		{"shared cost", "0771-23 45 67", "SE", "", PhoneSharedCost, false, PhoneSharedCostNum},
		{"uan 010", "010-123 45 67", "SE", "", PhoneUAN, false, PhoneUANNum},
		{"pl international", "+48 512 345 678", "SE", "+48512345678", PhoneMobile, true, PhoneOK},
		{"pl idd", "0048512345678", "SE", "+48512345678", PhoneMobile, true, PhoneOK},
		{"pl national", "512-345-678", "PL", "+48512345678", PhoneMobile, true, PhoneOK},
		{"pl landline", "22 123 45 67", "PL", "+48221234567", PhoneFixedLine, true, PhoneOK},
		{"pl premium", "701 234 567", "PL", "", PhonePremiumRate, false, PhonePremium},
		{"se mobile read in pl", "070-123 45 67", "PL", "", PhoneUnknown, false, PhoneInvalid},
		{"other country", "+47 412 34 567", "SE", "+4741234567", PhoneMobile, true, PhoneOK},
		{"default region empty is SE", "0701234567", "", "+46701234567", PhoneMobile, true, PhoneOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := ParsePhone(tc.raw, tc.region)
			got := ""
			if p.Valid {
				got = p.E164()
			}
			if got != tc.e164 || p.Type != tc.typ || p.Valid != tc.valid || p.Reason != tc.reason {
				t.Errorf("ParsePhone(%q) = %q %v valid=%v reason=%d; want %q %v valid=%v reason=%d",
					tc.raw, got, p.Type, p.Valid, p.Reason, tc.e164, tc.typ, tc.valid, tc.reason)
			}
		})
	}
}

func TestParsePhoneList(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    []string // E.164 of each number, "" when not valid
		primary int
	}{
		{"two numbers", "070-1234567 / 08-123456", []string{"+46701234567", "+468123456"}, 0},
		{"first invalid", "070-12 / 0701234567", []string{"", "+46701234567"}, 1},
		{"invalid then valid", "0900-123456, 070-123 45 67", []string{"", "+46701234567"}, 1},
		{"eller", "070-123 45 67 eller 08-123 456 78", []string{"+46701234567", "+46812345678"}, 0},
		{"slash in one number", "08/123 456 78", []string{"+46812345678"}, 0},
		{"single", "0701234567", []string{"+46701234567"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			list := ParsePhoneList(tc.raw, "SE", nil)
			var got []string
			for i := range list {
				e := ""
				if list[i].Valid {
					e = list[i].E164()
				}
				got = append(got, e)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			if p := Primary(list); p != tc.primary {
				t.Errorf("primary %d, want %d", p, tc.primary)
			}
		})
	}
}

func TestPhoneKey(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"+46701234567", 46701234567, true},
		{"+48512345678", 48512345678, true},
		{"46701234567", 0, false},
		{"+", 0, false},
		{"+4670-1234567", 0, false},
		{"+99999999999999999999", 0, false},
	}
	for _, tc := range tests {
		got, ok := PhoneKey(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("PhoneKey(%q) = %d %v, want %d %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func samePhone(a, b Phone) bool {
	return a.E164() == b.E164() && a.Type == b.Type && a.Valid == b.Valid && a.Reason == b.Reason
}

// genPhone writes a random Swedish or Polish number in one of the forms
// seen in supplier files.
func genPhone(r *rand.Rand) (s, region string) {
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + r.IntN(10))
		}
		return string(b)
	}
	if r.IntN(10) == 0 { // Polish
		var nsn string
		switch r.IntN(3) {
		case 0:
			nsn = [...]string{"45", "50", "51", "53", "57", "60", "66", "69", "72", "73", "78", "79", "88"}[r.IntN(13)] + digits(7)
		case 1:
			nsn = string(byte('1'+r.IntN(9))) + digits(8)
		default:
			nsn = string(byte('1'+r.IntN(9))) + digits(6+r.IntN(5))
		}
		switch r.IntN(4) {
		case 0:
			return "+48 " + nsn[:3] + " " + nsn[3:], "SE"
		case 1:
			return "0048" + nsn, "SE"
		case 2:
			if len(nsn) == 9 {
				return nsn[:3] + "-" + nsn[3:6] + "-" + nsn[6:], "PL"
			}
			return nsn, "PL"
		default:
			return "+48" + nsn, "PL"
		}
	}
	var area, sub string
	if r.IntN(2) == 0 {
		area = "7" + string("02369"[r.IntN(5)])
		sub = digits(7)
	} else {
		switch r.IntN(4) {
		case 0:
			area = "8"
		case 1:
			area = string(byte('1'+r.IntN(9))) + digits(1)
		default:
			area = string(byte('1'+r.IntN(9))) + digits(2)
		}
		sub = digits(5 + r.IntN(4))
	}
	nsn := area + sub
	switch r.IntN(9) {
	case 0:
		return "0" + area + "-" + sub[:len(sub)-4] + " " + sub[len(sub)-4:len(sub)-2] + " " + sub[len(sub)-2:], "SE"
	case 1:
		return "0" + nsn, "SE"
	case 2:
		return "+46 " + area + " " + sub, "SE"
	case 3:
		return "+46 (0)" + area + "-" + sub, "SE"
	case 4:
		return "(0" + area + ") " + sub, "SE"
	case 5:
		return "0046" + nsn, "SE"
	case 6:
		return "46" + nsn, "SE"
	case 7:
		return "0" + area + "/" + sub, "SE"
	default:
		return "+46" + nsn, "SE"
	}
}

// TestFastPathEqualsLibrary compares the fast path with the phone library
// over generated numbers: every answer of the fast path must be the
// library's. It also reports the share of numbers the fast path answered.
func TestFastPathEqualsLibrary(t *testing.T) {
	if !FastPathReady("SE") || !FastPathReady("PL") {
		t.Fatal("fast path tables could not be built from the library metadata")
	}
	n := 120000
	if testing.Short() || raceEnabled {
		n = 10000
	}
	r := rand.New(rand.NewPCG(1, 2))
	fast, validFast, valid := 0, 0, 0
	for i := 0; i < n; i++ {
		s, region := genPhone(r)
		lib := libraryPhone(s, region)
		f, ok := fastPhone(s, region, true)
		if lib.Valid {
			valid++
		}
		if !ok {
			continue
		}
		fast++
		if lib.Valid {
			validFast++
		}
		if !samePhone(f, lib) {
			t.Fatalf("%q (%s): fast %s %v %v %d, library %s %v %v %d", s, region,
				f.E164(), f.Type, f.Valid, f.Reason, lib.E164(), lib.Type, lib.Valid, lib.Reason)
		}
	}
	t.Logf("%d numbers: fast path answered %d (%.2f%%); of %d valid, %d (%.2f%%) fast",
		n, fast, 100*float64(fast)/float64(n), valid, validFast, 100*float64(validFast)/float64(valid))
	if validFast != valid {
		t.Errorf("fast path missed %d valid generated numbers", valid-validFast)
	}
}

// TestFastPathAllMobiles checks every Swedish mobile prefix over a spread
// of subscriber numbers, in each written form.
func TestFastPathAllMobiles(t *testing.T) {
	forms := []func(string) string{
		func(n string) string { return "0" + n },
		func(n string) string { return "+46" + n },
		func(n string) string { return "0046" + n },
		func(n string) string { return "46" + n },
		func(n string) string { return "+46 (0)" + n[:2] + "-" + n[2:] },
	}
	step := 9973
	if testing.Short() || raceEnabled {
		step = 99991
	}
	for _, pre := range []string{"70", "71", "72", "73", "74", "75", "76", "77", "78", "79"} {
		for sub := 0; sub < 10000000; sub += step {
			b := []byte(pre + "0000000")
			for i, v := 8, sub; i >= 2; i, v = i-1, v/10 {
				b[i] = byte('0' + v%10)
			}
			for _, f := range forms {
				s := f(string(b))
				lib := libraryPhone(s, "SE")
				fp, ok := fastPhone(s, "SE", true)
				if ok && !samePhone(fp, lib) {
					t.Fatalf("%q: fast %s %v, library %s %v", s, fp.E164(), fp.Type, lib.E164(), lib.Type)
				}
				if !ok && lib.Type != PhoneUnknown {
					t.Errorf("%q: fast path did not answer a number of type %v", s, lib.Type)
				}
			}
		}
	}
}

func FuzzPhoneFastPath(f *testing.F) {
	for _, s := range []string{"070-123 45 67", "+46 (0)70-123 45 67", "46701234567", "0046701234567",
		"08-123 456 78", "0048512345678", "512-345-678", "468123456", "+46 0 0 70", "0 0 46 70 123 45 67",
		"((070))", "+4646", "460701234567", "00460701234567", "+48 22 123 45 67", "0900123456", "4608123456"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, pl bool) {
		region := "SE"
		if pl {
			region = "PL"
		}
		fp, ok := fastPhone(s, region, true)
		if !ok {
			return
		}
		for _, c := range fp.e164[fp.n:] {
			if c != 0 {
				t.Fatalf("%q (%s): e164 %q holds bytes past its length", s, region, fp.e164)
			}
		}
		lib := libraryPhone(s, region)
		if !samePhone(fp, lib) {
			t.Fatalf("%q (%s): fast %s %v %v %d, library %s %v %v %d", s, region,
				fp.E164(), fp.Type, fp.Valid, fp.Reason, lib.E164(), lib.Type, lib.Valid, lib.Reason)
		}
	})
}

func BenchmarkParsePhone(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	in := make([]string, 4096)
	reg := make([]string, len(in))
	for i := range in {
		in[i], reg[i] = genPhone(r)
	}
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			ParsePhone(in[i%len(in)], reg[i%len(in)])
		}
	})
	b.Run("library", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			libraryPhone(in[i%len(in)], reg[i%len(in)])
		}
	})
}
