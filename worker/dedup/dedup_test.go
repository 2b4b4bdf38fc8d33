package dedup

import (
	"context"
	"testing"

	"github.com/listwash/listwash/formats"
)

// anna is a complete row as the normaliser fills it.
func anna(line int64) formats.Row {
	return formats.Row{
		SourceLine: line,
		FirstName:  "Anna", LastName: "Andersson", NameKey: "anna andersson",
		Street: "Storgatan 12", StreetName: "Storgatan", StreetNumber: "12",
		PostalCode: "123 45", PostalValid: true, City: "Stockholm",
		PNR: "198001011238", PNRValid: true, BirthDate: "1980-01-01",
		MobileE164: "+46701234567", MobileValid: true,
		Email: "anna.andersson@example.se", EmailValid: true,
	}
}

// noIDs removes personnummer, phones and e-mail.
func noIDs(r *formats.Row) {
	r.PNR, r.PNRValid, r.BirthDate = "", false, ""
	r.MobileE164, r.MobileValid, r.PhoneE164, r.PhoneValid, r.Phones = "", false, "", false, nil
	r.Email, r.EmailValid = "", false
}

func run(t testing.TB, cfg Config, rows []formats.Row) *Deduper {
	t.Helper()
	d := New(cfg)
	for i := range rows {
		if err := d.Observe(&rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Plan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := d.Apply(rows); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPairs(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(a, b *formats.Row)
		reason string // "" = not a duplicate
		house  bool   // b is in a's household
	}{
		{"exact copy", func(a, b *formats.Row) {}, ReasonDuplicate, false},
		{"other phone format, same E.164", func(a, b *formats.Row) {
			a.MobileRaw, b.MobileRaw = "070-123 45 67", "+46 (0)70 1234567"
		}, ReasonDuplicate, false},
		{"other phone format and a missing e-mail", func(a, b *formats.Row) {
			a.MobileRaw, b.MobileRaw = "070-123 45 67", "0046701234567"
			b.Email, b.EmailValid = "", false
		}, ReasonNearDuplicate, false},
		{"typo in last name", func(a, b *formats.Row) {
			b.LastName = "Andresson"
		}, ReasonNearDuplicate, false},
		{"typo in first name, no identifiers, same address", func(a, b *formats.Row) {
			noIDs(a)
			noIDs(b)
			a.FirstName, b.FirstName = "Kristina", "Kristna"
		}, ReasonNearDuplicate, false},
		{"typo in first name, same phone only", func(a, b *formats.Row) {
			noIDs(a)
			noIDs(b)
			a.MobileE164, b.MobileE164 = "+46701234567", "+46701234567"
			b.Street, b.StreetName, b.StreetNumber, b.PostalCode = "", "", "", ""
			a.FirstName, b.FirstName = "Kristoffer", "Kristofer"
		}, ReasonNearDuplicate, false},
		{"swapped first and last name", func(a, b *formats.Row) {
			b.FirstName, b.LastName = a.LastName, a.FirstName
		}, ReasonNearDuplicate, false},
		{"swapped names, no identifiers", func(a, b *formats.Row) {
			noIDs(a)
			noIDs(b)
			b.FirstName, b.LastName = a.LastName, a.FirstName
		}, ReasonNearDuplicate, false},
		{"Storg. 12 standardised to Storgatan 12", func(a, b *formats.Row) {
			noIDs(a)
			noIDs(b)
			a.StreetRaw, b.StreetRaw = "Storgatan 12", "Storg. 12"
			b.City = "STOCKHOLM" // not normalised the same way: not exact
		}, ReasonNearDuplicate, false},
		{"same e-mail in another case, elsewhere", func(a, b *formats.Row) {
			noIDs(a)
			noIDs(b)
			a.Email, a.EmailValid = "Anna.Andersson@example.se", true
			b.Email, b.EmailValid = "anna.andersson@example.se", true
			b.Street, b.StreetName, b.StreetNumber, b.PostalCode = "Lillgatan 3", "Lillgatan", "3", "543 21"
		}, ReasonNearDuplicate, false},
		{"phone in the further-phones list", func(a, b *formats.Row) {
			b.MobileE164, b.Phones = "", []string{"+4681234567", "+46701234567"}
			b.Email, b.EmailValid = "", false
		}, ReasonNearDuplicate, false},
		{"twins at the same address", func(a, b *formats.Row) {
			b.FirstName = "Maria"
			b.PNR = "198001011246"
			b.MobileE164, b.Email = "+46709876543", "maria.andersson@example.se"
		}, "", true},
		{"twins with similar first names and different pnr", func(a, b *formats.Row) {
			a.FirstName, b.FirstName = "Anna", "Anja"
			b.PNR = "198001011246"
		}, "", true},
		{"father and son with the same name", func(a, b *formats.Row) {
			a.FirstName, b.FirstName = "Lars", "Lars"
			b.PNR, b.BirthDate = "200502021235", "2005-02-02"
			b.Email, b.EmailValid = "", false
		}, "", true},
		{"spouses sharing phone and address, no pnr", func(a, b *formats.Row) {
			noIDs(a)
			noIDs(b)
			a.PhoneE164, b.PhoneE164 = "+4681234567", "+4681234567"
			b.FirstName = "Per"
		}, "", true},
		{"two people sharing a phone, different surnames", func(a, b *formats.Row) {
			noIDs(a)
			noIDs(b)
			a.PhoneE164, b.PhoneE164 = "+4681234567", "+4681234567"
			b.FirstName, b.LastName = "Johan", "Berg"
		}, "", false},
		{"same common name in another town", func(a, b *formats.Row) {
			noIDs(a)
			noIDs(b)
			b.Street, b.StreetName, b.StreetNumber, b.PostalCode = "Kungsgatan 1", "Kungsgatan", "1", "411 19"
		}, "", false},
		{"same name and building, other flat", func(a, b *formats.Row) {
			noIDs(a)
			noIDs(b)
			a.Apartment, b.Apartment = "1101", "1203"
		}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows := []formats.Row{anna(2), anna(3)}
			tc.edit(&rows[0], &rows[1])
			run(t, Config{}, rows)
			a, b := rows[0], rows[1]
			if a.DuplicateOf != 0 || len(a.Reasons) != 0 {
				t.Errorf("first row marked: duplicate_of %d reasons %v", a.DuplicateOf, a.Reasons)
			}
			if tc.reason == "" {
				if b.DuplicateOf != 0 {
					t.Errorf("duplicate_of = %d (score %.3f), want no duplicate", b.DuplicateOf, b.MatchScore)
				}
			} else {
				if b.DuplicateOf != 2 || !b.HasReason(tc.reason) || len(b.Reasons) != 1 {
					t.Errorf("duplicate_of = %d reasons %v, want 2 %s", b.DuplicateOf, b.Reasons, tc.reason)
				}
				if b.MatchScore < DefaultThreshold || b.MatchScore > 1 {
					t.Errorf("match_score = %v, want in [%v, 1]", b.MatchScore, DefaultThreshold)
				}
			}
			wantHH := int64(0)
			if tc.house {
				wantHH = 2
			}
			if a.HouseholdID != wantHH || b.HouseholdID != wantHH {
				t.Errorf("household ids %d, %d; want %d", a.HouseholdID, b.HouseholdID, wantHH)
			}
		})
	}
}

func TestSurvivorship(t *testing.T) {
	rows := []formats.Row{anna(2), anna(3), anna(4), anna(5), anna(6)}
	rows[0].Email, rows[0].EmailValid = "", false // less complete
	rows[1].LastName = "Andresson"                // as complete as 2 and 3, earliest of them
	rows[2].FirstName = "Ana"
	rows[4].Rejected = true // never a duplicate, never a survivor
	d := run(t, Config{}, rows)
	// 3, 4 and 5 are equally complete: 3 survives as the earliest of them.
	want := []struct {
		dup    int64
		reason string
	}{{3, ReasonNearDuplicate}, {0, ""}, {3, ReasonNearDuplicate}, {3, ReasonNearDuplicate}, {0, ""}}
	for i, w := range want {
		r := rows[i]
		if r.DuplicateOf != w.dup || (w.reason != "" && !r.HasReason(w.reason)) || (w.reason == "" && len(r.Reasons) > 0) {
			t.Errorf("line %d: duplicate_of %d reasons %v, want %d %q", r.SourceLine, r.DuplicateOf, r.Reasons, w.dup, w.reason)
		}
	}
	if s := d.Stats(); s.Rows != 4 || s.DuplicateRows != 3 || s.NearDuplicateRows != 3 || s.Persons != 1 {
		t.Errorf("stats %+v, want rows 4, duplicates 3 (near 3), persons 1", s)
	}
}

func TestExactSurvivesBehindMoreComplete(t *testing.T) {
	rows := []formats.Row{anna(2), anna(3), anna(4)}
	rows[0].Email, rows[0].EmailValid = "", false
	rows[1].Email, rows[1].EmailValid = "", false
	d := run(t, Config{}, rows)
	// 4 is the most complete; 2 and 3 are near duplicates of it.
	if rows[2].DuplicateOf != 0 || rows[0].DuplicateOf != 4 || rows[1].DuplicateOf != 4 {
		t.Fatalf("duplicate_of %d %d %d, want 4 4 0", rows[0].DuplicateOf, rows[1].DuplicateOf, rows[2].DuplicateOf)
	}
	if !rows[0].HasReason(ReasonNearDuplicate) || !rows[1].HasReason(ReasonNearDuplicate) {
		t.Errorf("reasons %v %v, want NEAR_DUPLICATE", rows[0].Reasons, rows[1].Reasons)
	}
	if s := d.Stats(); s.ExactDuplicateRows != 0 || s.NearDuplicateRows != 2 {
		t.Errorf("stats %+v", s)
	}
}

func TestSwitchboardBlockIsCapped(t *testing.T) {
	const n = 5000
	rows := make([]formats.Row, n)
	for i := range rows {
		rows[i] = anna(int64(i + 2))
		noIDs(&rows[i])
		rows[i].FirstName = "P" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676%26))
		rows[i].LastName = "Q" + string(rune('a'+i%7)) + string(rune('a'+i/7%26))
		rows[i].PhoneE164 = "+4681000000"
		rows[i].Street, rows[i].StreetName, rows[i].PostalCode = "", "", ""
	}
	d := run(t, Config{}, rows)
	s := d.Stats()
	if s.OversizedBlocks == 0 {
		t.Errorf("no oversized block for %d rows sharing a phone", n)
	}
	if max := int64(n * (DefaultWindow + 8)); s.Comparisons > max {
		t.Errorf("%d comparisons, want at most %d (not quadratic)", s.Comparisons, max)
	}
}

func TestUnorderedLines(t *testing.T) {
	rows := []formats.Row{anna(9), anna(3), anna(5)}
	run(t, Config{}, rows)
	if rows[0].DuplicateOf != 3 || rows[1].DuplicateOf != 0 || rows[2].DuplicateOf != 3 {
		t.Errorf("duplicate_of %d %d %d, want 3 0 3", rows[0].DuplicateOf, rows[1].DuplicateOf, rows[2].DuplicateOf)
	}
}

func TestPlanTwice(t *testing.T) {
	d := New(Config{})
	if err := d.Apply(nil); err != ErrNotPlanned {
		t.Errorf("Apply before Plan: %v, want ErrNotPlanned", err)
	}
	if err := d.Plan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := d.Plan(context.Background()); err != ErrPlanned {
		t.Errorf("second Plan: %v, want ErrPlanned", err)
	}
	r := anna(2)
	if err := d.Observe(&r); err != ErrPlanned {
		t.Errorf("Observe after Plan: %v, want ErrPlanned", err)
	}
}
