package rules

import (
	"net/mail"
	"slices"
	"testing"
)

func TestCheckEmail(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		address    string
		valid      bool
		reason     EmailReason
		suggestion string
	}{
		{"plain", "anna.andersson@example.se", "anna.andersson@example.se", true, EmailOK, ""},
		{"domain lowered", "Anna.Andersson@Example.SE", "Anna.Andersson@example.se", true, EmailOK, ""},
		{"trimmed", "  anna@example.se ", "anna@example.se", true, EmailOK, ""},
		{"mailto", "mailto:anna@example.se", "anna@example.se", true, EmailOK, ""},
		{"angle", "<anna@example.se>", "anna@example.se", true, EmailOK, ""},
		{"empty domain", "anna@", "", false, EmailInvalid, ""},
		{"big domain as written", "anna@gmail.com", "anna@gmail.com", true, EmailOK, ""},
		{"big domain upper case", "anna@GMAIL.COM", "anna@gmail.com", true, EmailOK, ""},
		{"plus tag", "anna+list@example.se", "anna+list@example.se", true, EmailOK, ""},
		{"subdomain", "a@mail.example.co.uk", "a@mail.example.co.uk", true, EmailOK, ""},
		{"idn domain", "anna@åäö.se", "anna@åäö.se", true, EmailOK, ""},
		{"gmial", "anna@gmial.com", "anna@gmial.com", true, EmailDomainTypo, "anna@gmail.com"},
		{"gmal", "anna@GMAL.com", "anna@gmal.com", true, EmailDomainTypo, "anna@gmail.com"},
		{"hotmial.se", "anna@hotmial.se", "anna@hotmial.se", true, EmailDomainTypo, "anna@hotmail.se"},
		{"hotmail.con", "anna@hotmail.con", "anna@hotmail.con", true, EmailDomainTypo, "anna@hotmail.com"},
		{"yaho", "anna@yaho.com", "anna@yaho.com", true, EmailDomainTypo, "anna@yahoo.com"},
		{"outlok", "anna@outlok.com", "anna@outlok.com", true, EmailDomainTypo, "anna@outlook.com"},
		{"empty", "", "", false, EmailMissing, ""},
		{"no at", "anna.example.se", "", false, EmailInvalid, ""},
		{"no dot in domain", "anna@localhost", "", false, EmailInvalid, ""},
		{"two ats", "anna@b@example.se", "", false, EmailInvalid, ""},
		{"double dot", "anna..b@example.se", "", false, EmailInvalid, ""},
		{"leading dot", ".anna@example.se", "", false, EmailInvalid, ""},
		{"space", "anna b@example.se", "", false, EmailInvalid, ""},
		{"comma", "anna,b@example.se", "", false, EmailInvalid, ""},
		{"hyphen label", "anna@-example.se", "", false, EmailInvalid, ""},
		{"empty label", "anna@example..se", "", false, EmailInvalid, ""},
		{"trailing dot domain", "anna@example.se.", "", false, EmailInvalid, ""},
		{"numeric tld", "anna@10.0.0.1", "", false, EmailInvalid, ""},
		{"no local", "@example.se", "", false, EmailInvalid, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a Arena
			e := CheckEmail(tc.in, &a)
			if e.Address != tc.address || e.Valid != tc.valid || e.Reason != tc.reason || e.Suggestion != tc.suggestion {
				t.Errorf("got %+v; want %q %v %d %q", e, tc.address, tc.valid, tc.reason, tc.suggestion)
			}
		})
	}
}

// TestEmailAgreesWithNetMail: every address the hand check accepts, net/mail
// accepts too (the hand check is the stricter of the two).
func TestEmailAgreesWithNetMail(t *testing.T) {
	for _, s := range []string{"anna.andersson@example.se", "a+b@x.io", "o'brien@example.ie", "x_y-z@sub.example.com", "åsa@example.se", "!#$%&'*+/=?^_`{|}~-@example.com"} {
		var a Arena
		if !CheckEmail(s, &a).Valid {
			t.Errorf("%q rejected", s)
			continue
		}
		if _, err := mail.ParseAddress(s); err != nil {
			t.Errorf("%q accepted, but net/mail says %v", s, err)
		}
	}
}

func BenchmarkCheckEmail(b *testing.B) {
	b.Run("hand", func(b *testing.B) {
		var a Arena
		for b.Loop() {
			CheckEmail("anna.andersson@example.se", &a)
		}
	})
	b.Run("net/mail", func(b *testing.B) {
		for b.Loop() {
			_, _ = mail.ParseAddress("anna.andersson@example.se")
		}
	})
}

// FuzzEmail: whatever the hand check accepts, net/mail accepts too.
func FuzzEmail(f *testing.F) {
	for _, s := range []string{"anna@example.se", "a.b@c.d.e", "x@y", "å@ä.se", "a..b@c.se", "-@-.se", "a@b.c1", "0@\x80.A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var a Arena
		e := CheckEmail(s, &a)
		if !e.Valid {
			return
		}
		if _, err := mail.ParseAddress(e.Address); err != nil {
			t.Fatalf("%q accepted as %q, net/mail: %v", s, e.Address, err)
		}
	})
}

func TestNearBigDomain(t *testing.T) {
	cases := []struct {
		domain, want string
	}{
		{"outllook.com", "outlook.com"}, // insertion
		{"comhme.se", "comhem.se"},      // swap
		{"gmaik.com", "gmail.com"},      // substitution
		{"hotmal.se", "hotmail.se"},     // deletion
		{"xmail.com", "gmail.com"},      // edits at the first letter
		{"agmail.com", "gmail.com"},
		{"mail.com", "gmail.com"},
		{"mgail.com", "gmail.com"},
		{"example.se", ""},
		{"gmail.com", ""},  // right already
		{"hotmail.de", ""}, // another country's real domain: not ours to correct
		{"gmx.com", ""},    // a real provider, two edits away
		{"tele2.se", ""},
		{"company.se", ""},
	}
	for _, c := range cases {
		got, ok := nearBigDomain(c.domain)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("%s: got %q %v, want %q", c.domain, got, ok, c.want)
		}
	}
}

// TestBigLabelsByTLD: the per-TLD lists hold exactly bigLabels, in its order.
func TestBigLabelsByTLD(t *testing.T) {
	byTLD := map[string][]bigLabel{"com": bigLabelsCOM[:], "se": bigLabelsSE[:], "net": bigLabelsNET[:], "pl": bigLabelsPL[:]}
	want := map[string][]bigLabel{}
	for _, b := range bigLabels {
		for _, tld := range b.tlds {
			want[tld] = append(want[tld], bigLabel{b.label, b.label + "." + tld})
		}
	}
	if len(byTLD) != len(want) {
		t.Fatalf("TLDs %d, want %d", len(byTLD), len(want))
	}
	for tld, w := range want {
		if !slices.Equal(byTLD[tld], w) {
			t.Errorf("%s: %v, want %v", tld, byTLD[tld], w)
		}
	}
}

// TestDomainTableValid: every domain of the table passes validDomain as
// lower-case ASCII, which lets CheckEmail skip the check for them.
func TestDomainTableValid(t *testing.T) {
	n := 0
	for _, e := range domainTable {
		if e.domain == "" {
			continue
		}
		n++
		if ok, upper, high := validDomain(e.domain); !ok || upper || high {
			t.Errorf("%q: valid %v upper %v high %v", e.domain, ok, upper, high)
		}
		if knownDomain(e.domain) != &domainTable[slices.Index(domainTable[:], e)] {
			t.Errorf("%q: not found", e.domain)
		}
	}
	if want := len(bigDomains) + len(domainTypos); n != want {
		t.Errorf("table holds %d domains, want %d", n, want)
	}
}
