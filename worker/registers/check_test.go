package registers

import (
	"slices"
	"testing"

	"github.com/listwash/listwash/formats"
)

// The NIX fixture: version 2026-11-01 (valid until 2027-01-01), as-of
// 2026-11-15, company "Acme AB". Each listed number has its own story.
var nixFiles = map[string]string{
	"nix/nix-2026-10-01.txt": "070-999 99 99\n", // older version: ignored
	"nix/nix-2026-11-01.txt": "# NIX export\n" +
		"070-100 00 01\n" + // blocked, no consent
		"+46 70 100 00 02\n" + // consent exactly 3 months before as-of
		"0046701000003\n" + // consent 3 months and a day before
		"46701000004\n" + // consent for another company
		"070 100 00 05\n" + // consent dated after as-of
		"0701000006\n" + // consent on the as-of day
		"0701000007\n" + // company named in other case and spacing
		"0701000008\n" + // customer, contract ended exactly 12 months ago
		"0701000009\n" + // customer, contract ended 12 months and a day ago
		"0701000010\n" + // customer, ongoing
		"0701000011\n" + // customer of another company
		"0701000012\n" + // listed; the row's personnummer is a customer
		"0701000013\n" + // consent 3 months and a day before AND one in time
		"not a number\n",
	"consents/consents-2026-11-10.csv": "phone;company;consent_date\n" +
		"0701000002;Acme AB;2026-08-15\n" +
		"0701000003;Acme AB;2026-08-14\n" +
		"0701000004;Other AB;2026-11-01\n" +
		"0701000005;Acme AB;2026-11-16\n" +
		"0701000006;Acme AB;2026-11-15\n" +
		"0701000007;  ACME ab ;2026-10-01\n" +
		"0701000013;Acme AB;2026-08-14\n" +
		"0701000013;Acme AB;2026-10-20\n" +
		"0701000001;Acme AB;not a date\n",
	"customers/customers-2026-11-01.csv": "phone_or_pnr,company,contract_end\n" +
		"+46701000008,Acme AB,2025-11-15\n" +
		"+46701000009,Acme AB,2025-11-14\n" +
		"+46701000010,Acme AB,\n" +
		"+46701000011,Other AB,\n" +
		pnrA + ",Acme AB,2026-06-30\n",
}

var acme = Policy{Company: "Acme AB", AsOf: date("2026-11-15")}

func TestNIXRules(t *testing.T) {
	set := mustLoad(t, nixFiles, testOptions())
	cases := []struct {
		name       string
		row        formats.Row
		listed     string
		consent    string
		validUntil string
		mask       uint8
		reasons    []string
		notReasons []string
	}{
		{name: "not listed", row: formats.Row{MobileE164: "+46701999999"},
			listed: "false", consent: "false", validUntil: "2027-01-01"},
		{name: "older version's number not listed", row: formats.Row{MobileE164: "+46709999999"},
			listed: "false", consent: "false", validUntil: "2027-01-01"},
		{name: "listed without consent", row: formats.Row{MobileE164: "+46701000001"},
			listed: "true", consent: "false", validUntil: "null", mask: MaskMobile, reasons: []string{ReasonNIXBlocked}},
		{name: "consent exactly 3 months before as-of counts", row: formats.Row{MobileE164: "+46701000002"},
			listed: "true", consent: "true", validUntil: "2026-11-15", reasons: []string{ReasonNIXConsent}, notReasons: []string{ReasonNIXBlocked}},
		{name: "consent 3 months and a day before does not", row: formats.Row{MobileE164: "+46701000003"},
			listed: "true", consent: "false", validUntil: "null", mask: MaskMobile, reasons: []string{ReasonNIXBlocked, ReasonNIXConsentExpired}},
		{name: "consent for another company does not count", row: formats.Row{MobileE164: "+46701000004"},
			listed: "true", consent: "false", validUntil: "null", mask: MaskMobile, reasons: []string{ReasonNIXBlocked, ReasonNIXConsentOtherCompany}},
		{name: "consent dated after as-of does not count", row: formats.Row{MobileE164: "+46701000005"},
			listed: "true", consent: "false", validUntil: "null", mask: MaskMobile, reasons: []string{ReasonNIXBlocked, ReasonNIXConsentFuture}},
		{name: "consent on the as-of day: validity capped at version+2 months", row: formats.Row{MobileE164: "+46701000006"},
			listed: "true", consent: "true", validUntil: "2027-01-01", reasons: []string{ReasonNIXConsent}},
		{name: "company compared case-insensitively after trimming", row: formats.Row{MobileE164: "+46701000007"},
			listed: "true", consent: "true", validUntil: "2027-01-01", reasons: []string{ReasonNIXConsent}},
		{name: "customer, contract ended exactly 12 months ago", row: formats.Row{MobileE164: "+46701000008"},
			listed: "true", consent: "false", validUntil: "2026-11-15", reasons: []string{ReasonNIXCustomerExempt}, notReasons: []string{ReasonNIXBlocked}},
		{name: "customer, contract ended 12 months and a day ago", row: formats.Row{MobileE164: "+46701000009"},
			listed: "true", consent: "false", validUntil: "null", mask: MaskMobile, reasons: []string{ReasonNIXBlocked}, notReasons: []string{ReasonNIXCustomerExempt}},
		{name: "customer, ongoing contract", row: formats.Row{MobileE164: "+46701000010"},
			listed: "true", consent: "false", validUntil: "2027-01-01", reasons: []string{ReasonNIXCustomerExempt}},
		{name: "customer of another company", row: formats.Row{MobileE164: "+46701000011"},
			listed: "true", consent: "false", validUntil: "null", mask: MaskMobile, reasons: []string{ReasonNIXBlocked}},
		{name: "customer by personnummer", row: formats.Row{MobileE164: "+46701000012", PNR: pnrA, PNRValid: true},
			listed: "true", consent: "false", validUntil: "2027-01-01", reasons: []string{ReasonNIXCustomerExempt}},
		{name: "personnummer not valid: no customer lookup", row: formats.Row{MobileE164: "+46701000012", PNR: pnrA},
			listed: "true", consent: "false", validUntil: "null", mask: MaskMobile, reasons: []string{ReasonNIXBlocked}},
		{name: "an expired and a valid consent: the valid one counts", row: formats.Row{MobileE164: "+46701000013"},
			listed: "true", consent: "true", validUntil: "2027-01-01", reasons: []string{ReasonNIXConsent}, notReasons: []string{ReasonNIXConsentExpired}},
		{name: "blocked mobile, unlisted landline", row: formats.Row{MobileE164: "+46701000001", PhoneE164: "+4681234567"},
			listed: "true", consent: "false", validUntil: "2027-01-01", mask: MaskMobile, reasons: []string{ReasonNIXBlocked}},
		{name: "blocked landline slot, unlisted mobile", row: formats.Row{PhoneE164: "+46701000001", MobileE164: "+46701999999"},
			listed: "true", consent: "false", validUntil: "2027-01-01", mask: MaskPhone, reasons: []string{ReasonNIXBlocked}},
		{name: "blocked extra numbers by position", row: formats.Row{Phones: []string{"+46701999999", "+46701000001", "+46701000003"}},
			listed: "true", consent: "false", validUntil: "2027-01-01", mask: PhoneBit(1) | PhoneBit(2), reasons: []string{ReasonNIXBlocked}},
		{name: "consent-lifted and unlisted: earliest validity", row: formats.Row{MobileE164: "+46701000002", PhoneE164: "+4681234567"},
			listed: "true", consent: "true", validUntil: "2026-11-15", reasons: []string{ReasonNIXConsent}},
		{name: "no valid number", row: formats.Row{},
			listed: "false", consent: "false", validUntil: "null"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.row
			mark(t, set, acme, &r)
			if got := boolStr(r.NIXListed); got != c.listed {
				t.Errorf("NIXListed = %s, want %s", got, c.listed)
			}
			if got := boolStr(r.NIXConsent); got != c.consent {
				t.Errorf("NIXConsent = %s, want %s", got, c.consent)
			}
			if got := strPtr(r.NIXVersion); got != "2026-11-01" {
				t.Errorf("NIXVersion = %s", got)
			}
			if got := strPtr(r.ValidUntil); got != c.validUntil {
				t.Errorf("ValidUntil = %s, want %s", got, c.validUntil)
			}
			if r.NIXBlockedMask != c.mask {
				t.Errorf("mask = %08b, want %08b", r.NIXBlockedMask, c.mask)
			}
			for _, want := range c.reasons {
				if !r.HasReason(want) {
					t.Errorf("reasons %v lack %s", r.Reasons, want)
				}
			}
			for _, no := range c.notReasons {
				if r.HasReason(no) {
					t.Errorf("reasons %v hold %s", r.Reasons, no)
				}
			}
			if len(c.reasons) == 0 && len(r.Reasons) != 0 {
				t.Errorf("reasons %v, want none", r.Reasons)
			}
		})
	}
	in := set.Info(NIXName)
	if in.Version != "2026-11-01" || in.Entries != 13 || in.Skipped != 1 || !in.Used {
		t.Errorf("nix info = %+v", in)
	}
	if got := set.Info(ConsentsName); got.Entries != 8 || got.Skipped != 1 || got.Version != "2026-11-10" {
		t.Errorf("consents info = %+v", got)
	}
	if got := set.EarliestValidUntil(); got != "2027-01-01" {
		t.Errorf("EarliestValidUntil = %s", got)
	}
}

func TestNIXValidUntilInterned(t *testing.T) {
	set := mustLoad(t, nixFiles, testOptions())
	c, err := set.NewChecker(acme)
	if err != nil {
		t.Fatal(err)
	}
	sc := c.NewScratch()
	a, b := formats.Row{MobileE164: "+46701999999"}, formats.Row{MobileE164: "+46701999998"}
	c.Mark(&a, sc)
	c.Mark(&b, sc)
	if a.ValidUntil != b.ValidUntil || a.NIXVersion != b.NIXVersion {
		t.Error("ValidUntil/NIXVersion not shared between rows")
	}
	if got := c.EarliestValidUntil(); got != "2027-01-01" {
		t.Errorf("EarliestValidUntil = %s", got)
	}
	l := formats.Row{MobileE164: "+46701000002"}
	c.Mark(&l, sc)
	if got := c.EarliestValidUntil(); got != "2026-11-15" {
		t.Errorf("EarliestValidUntil after a consent row = %s", got)
	}
	if n := testing.AllocsPerRun(100, func() {
		r := formats.Row{MobileE164: "+46701000001", PhoneE164: "+4681234567", Reasons: make([]string, 0, 4)}
		c.Mark(&r, sc)
	}); n > 1 {
		t.Errorf("Mark allocates %.0f times per row", n)
	}
}

func TestRegistersNotUsed(t *testing.T) {
	set := mustLoad(t, map[string]string{"postcodes/x.txt": "x"}, testOptions())
	r := formats.Row{MobileE164: "+46701000001", PNR: pnrA, PNRValid: true, Email: "a@b.se", Street: "Gatan 1", PostalCode: "12345"}
	mark(t, set, acme, &r)
	for name, p := range map[string]*bool{"nix": r.NIXListed, "consent": r.NIXConsent, "robinson": r.Robinson, "dnc": r.InternalDNC,
		"deceased": r.Deceased, "erased": r.Erased, "moved": r.Moved, "protected": r.Protected, "owner": r.PhoneOwnerMatch} {
		if p != nil {
			t.Errorf("%s = %v, want NULL", name, *p)
		}
	}
	if r.NIXVersion != nil || r.ValidUntil != nil || len(r.Reasons) != 0 || r.NIXBlockedMask != 0 {
		t.Errorf("row marked: %+v", r)
	}
	if u := set.Used(); len(u) != 0 {
		t.Errorf("Used = %v", u)
	}
	if v := set.Versions(); len(v) != len(Names) || v[0].Used {
		t.Errorf("Versions = %+v", v)
	}
	if set.EarliestValidUntil() != "" {
		t.Error("EarliestValidUntil without NIX")
	}
}

var listFiles_ = map[string]string{
	"robinson/robinson-2026-09-01.csv": "type,value\n" +
		"phone,+48 601 234 567\n" + // not Swedish: the test normaliser skips it
		"phone,070-200 00 01\n" +
		"email, Jan.Kowalski@Example.PL \n" +
		"address,Storgatan  1|123 45\n",
	"robinson/robinson-2026-10-01.csv": "type;value\nphone;0702000002\n",
	"dnc/dnc-2026-10-05.csv": "type,value\n" +
		"phone,0703000001\n" +
		"email,nej@exempel.se\n" +
		"pnr," + pnrB + "\n",
	"deceased/deceased-2026-10-01.txt": "# version comment\n" + pnrA[2:8] + "-" + pnrA[8:] + "\n",
	"deceased/more.csv": "# version: 2026-10-20\npnr;first_name;last_name;street;postal_code\n" +
		";Greta;Garbo;Kungsgatan 7;111 22\n" +
		pnrC + ";;;;\n",
}

func TestListRules(t *testing.T) {
	set := mustLoad(t, listFiles_, testOptions())
	cases := []struct {
		name     string
		row      formats.Row
		robinson string
		dnc      string
		deceased string
		reasons  []string
	}{
		{"nothing", formats.Row{MobileE164: "+46709999999", Email: "x@y.se", Street: "Annan väg 2", PostalCode: "12345"},
			"false", "false", "false", nil},
		{"robinson by phone", formats.Row{PhoneE164: "+46702000001"}, "true", "false", "false", []string{ReasonRobinson}},
		{"robinson by phone in a later file", formats.Row{Phones: []string{"+46702000002"}}, "true", "false", "false", []string{ReasonRobinson}},
		{"robinson by email", formats.Row{Email: "jan.kowalski@example.pl"}, "true", "false", "false", []string{ReasonRobinson}},
		{"robinson by address, folded", formats.Row{Street: "STORGATAN 1", PostalCode: "12345"}, "true", "false", "false", []string{ReasonRobinson}},
		{"robinson address needs the postal code", formats.Row{Street: "Storgatan 1", PostalCode: "12346"}, "false", "false", "false", nil},
		{"dnc by phone", formats.Row{MobileE164: "+46703000001"}, "false", "true", "false", []string{ReasonInternalDNC}},
		{"dnc by email", formats.Row{Email: "nej@exempel.se"}, "false", "true", "false", []string{ReasonInternalDNC}},
		{"dnc by pnr", formats.Row{PNR: pnrB, PNRValid: true}, "false", "true", "false", []string{ReasonInternalDNC}},
		{"dnc pnr not valid on the row", formats.Row{PNR: pnrB}, "false", "false", "false", nil},
		{"deceased by pnr (10-digit register form)", formats.Row{PNR: pnrA, PNRValid: true}, "false", "false", "true", []string{ReasonDeceased}},
		{"deceased by pnr from the CSV", formats.Row{PNR: pnrC, PNRValid: true}, "false", "false", "true", []string{ReasonDeceased}},
		{"deceased by name and address", formats.Row{FirstName: "greta", LastName: "GARBO", Street: "Kungsgatan  7", PostalCode: "11122"},
			"false", "false", "true", []string{ReasonDeceased}},
		{"name and address: another street number", formats.Row{FirstName: "Greta", LastName: "Garbo", Street: "Kungsgatan 8", PostalCode: "11122"},
			"false", "false", "false", nil},
		{"name and address ignored where the row has a personnummer", formats.Row{PNR: pnrB, PNRValid: true, FirstName: "Greta", LastName: "Garbo", Street: "Kungsgatan 7", PostalCode: "11122"},
			"false", "true", "false", []string{ReasonInternalDNC}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.row
			mark(t, set, acme, &r)
			if got := boolStr(r.Robinson); got != c.robinson {
				t.Errorf("Robinson = %s, want %s", got, c.robinson)
			}
			if got := boolStr(r.InternalDNC); got != c.dnc {
				t.Errorf("InternalDNC = %s, want %s", got, c.dnc)
			}
			if got := boolStr(r.Deceased); got != c.deceased {
				t.Errorf("Deceased = %s, want %s", got, c.deceased)
			}
			if !slices.Equal(r.Reasons, c.reasons) {
				t.Errorf("reasons = %v, want %v", r.Reasons, c.reasons)
			}
		})
	}
	for name, want := range map[string]Info{
		RobinsonName: {Version: "2026-10-01", Entries: 4, Skipped: 1},
		DNCName:      {Version: "2026-10-05", Entries: 3},
		DeceasedName: {Version: "2026-10-20", Entries: 3},
	} {
		got := set.Info(name)
		if got.Version != want.Version || got.Entries != want.Entries || got.Skipped != want.Skipped || !got.Used {
			t.Errorf("%s info = %+v, want %+v", name, got, want)
		}
	}
}

func TestAddressRules(t *testing.T) {
	set := mustLoad(t, map[string]string{
		"addresses/spar-2026-11-01.csv": "pnr,first_name,last_name,street,postal_code,city,phones,protected,record_date\n" +
			pnrA + ",Anna,Svensson,Nya vägen 3,222 33,Lund,0701111111|08-1234567,false,2026-10-01\n" +
			pnrB + ",Bo,Ek,Gamla gatan 1,111 11,Stockholm,,false,2026-10-01\n" +
			pnrC + ",Hemlig,Person,Skyddad 1,111 11,Stockholm,,true,2026-10-01\n",
	}, testOptions())
	base := formats.Row{Street: "Gamla gatan 1", PostalCode: "11111", City: "Stockholm", CO: "c/o X",
		StreetRaw: "gamla gatan 1", PostalCodeRaw: "111 11", CityRaw: "STHLM", StreetName: "Gamla gatan", StreetNumber: "1", PostalValid: true}
	cases := []struct {
		name                    string
		pnr                     string
		phone                   string
		moved, protected, owner string
		street, postal, city    string
		streetRaw               string
		reasons                 []string
	}{
		{"moved", pnrA, "+46701111111", "true", "false", "true", "Nya vägen 3", "222 33", "Lund", "gamla gatan 1", []string{ReasonAddressUpdated}},
		{"moved, number not the person's", pnrA, "+46702222222", "true", "false", "false", "Nya vägen 3", "222 33", "Lund", "gamla gatan 1",
			[]string{ReasonPhoneOwnerMismatch, ReasonAddressUpdated}},
		{"same address, folded", pnrB, "+46702222222", "false", "false", "null", "Gamla gatan 1", "11111", "Stockholm", "gamla gatan 1", nil},
		{"protected identity", pnrC, "", "null", "true", "null", "", "", "", "", []string{ReasonProtectedIdentity}},
		{"not in the reference", "196001010008", "", "null", "null", "null", "Gamla gatan 1", "11111", "Stockholm", "gamla gatan 1", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := base
			r.PNR, r.PNRValid, r.MobileE164 = c.pnr, true, c.phone
			mark(t, set, acme, &r)
			if boolStr(r.Moved) != c.moved || boolStr(r.Protected) != c.protected || boolStr(r.PhoneOwnerMatch) != c.owner {
				t.Errorf("moved/protected/owner = %s/%s/%s, want %s/%s/%s", boolStr(r.Moved), boolStr(r.Protected), boolStr(r.PhoneOwnerMatch), c.moved, c.protected, c.owner)
			}
			if r.Street != c.street || r.PostalCode != c.postal || r.City != c.city || r.StreetRaw != c.streetRaw {
				t.Errorf("address = %q %q %q raw %q", r.Street, r.PostalCode, r.City, r.StreetRaw)
			}
			if !slices.Equal(r.Reasons, c.reasons) {
				t.Errorf("reasons = %v, want %v", r.Reasons, c.reasons)
			}
			if c.protected == "true" && (r.CO != "" || r.PostalCodeRaw != "" || r.CityRaw != "" || r.StreetName != "" || r.PostalValid) {
				t.Errorf("protected row keeps address data: %+v", r)
			}
			if c.moved == "true" && (r.CO != "" || r.StreetName != "" || r.PostalCodeRaw != "111 11") {
				t.Errorf("moved row: c/o %q, street name %q, raw postal %q", r.CO, r.StreetName, r.PostalCodeRaw)
			}
		})
	}
}
