package gen

import (
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestPhoneNumbersValid checks every landline block's edges and every
// written form against libphonenumber.
func TestPhoneNumbersValid(t *testing.T) {
	var nums []phoneNum
	for _, b := range landBlocks {
		first := pow10[b.subLen-1]
		for _, sub := range []uint32{first, first + b.count/2, first + b.count - 1} {
			nums = append(nums, phoneNum{area: b.area, sub: sub, subLen: b.subLen})
		}
	}
	for v := uint64(0); v < mobileSpace; v += 9_999_991 {
		nums = append(nums, mobileAt(v))
	}
	nums = append(nums, mobileAt(mobileSpace-1), landAt(0), landAt(landSpace-1))
	for _, n := range nums {
		want := string(n.appendE164(nil))
		wantType := phonenumbers.FIXED_LINE
		if n.isMobile() {
			wantType = phonenumbers.MOBILE
		}
		for f := uint8(0); f < numPhoneForms; f++ {
			if f == pf46 && !n.isMobile() {
				continue
			}
			s := string(n.appendForm(nil, f))
			pn, err := phonenumbers.Parse(s, "SE")
			if err != nil {
				t.Errorf("%s: %v", s, err)
				continue
			}
			if got := phonenumbers.Format(pn, phonenumbers.E164); got != want || !phonenumbers.IsValidNumber(pn) || phonenumbers.GetNumberType(pn) != wantType {
				t.Errorf("%s: %s valid=%v type=%v, want %s type %v", s, got, phonenumbers.IsValidNumber(pn), phonenumbers.GetNumberType(pn), want, wantType)
			}
		}
		for _, dash := range []bool{false, true} {
			s := string(n.appendShort(nil, dash))
			if pn, err := phonenumbers.Parse(s, "SE"); err == nil && phonenumbers.IsValidNumber(pn) {
				t.Errorf("short %s is valid", s)
			}
		}
	}
	r := newRNG(1, 99, 0)
	for i := 0; i < 200; i++ {
		s := string(appendPremium(nil, &r))
		pn, err := phonenumbers.Parse(s, "SE")
		if err != nil || !phonenumbers.IsValidNumber(pn) || phonenumbers.GetNumberType(pn) != phonenumbers.PREMIUM_RATE {
			t.Fatalf("premium %s is not a valid premium-rate number", s)
		}
	}
}

// TestPNRDefects: generated numbers pass Luhn; a checksum defect fails it;
// a date defect keeps Luhn right but has no such date.
func TestPNRDefects(t *testing.T) {
	cfg, _ := testConfig(0).withDefaults()
	g := newGenerator(cfg)
	var p person
	var w row
	for id := uint32(0); id < 5000; id++ {
		g.genPerson(&p, id, 0, false)
		g.fill(&w, &p)
		if _, ok := checkPNR(string(w.f[colPNR]), cfg.AsOf); !ok {
			t.Fatalf("person %d: generated number invalid", id)
		}
		for _, code := range []string{DefectPNRChecksum, DefectPNRDate} {
			g.fill(&w, &p)
			g.applyDefect(&w, &p, code)
			s := string(w.f[colPNR])
			if _, ok := checkPNR(s, cfg.AsOf); ok {
				t.Fatalf("person %d: %s number still valid", id, code)
			}
			var d [9]byte
			digits := []byte{}
			for _, c := range []byte(s) {
				if c >= '0' && c <= '9' {
					digits = append(digits, c)
				}
			}
			copy(d[:], digits[len(digits)-10:])
			luhnOK := luhn(&d) == digits[len(digits)-1]
			if luhnOK != (code == DefectPNRDate) {
				t.Fatalf("person %d: %s: luhn ok = %v", id, code, luhnOK)
			}
		}
	}
}
