package worker

import (
	"context"
	"testing"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/worker/registers"
)

func TestDecide(t *testing.T) {
	addr := func(r formats.Row) formats.Row { r.Street, r.PostalValid = "Storgatan 1", true; return r }
	cases := []struct {
		name     string
		row      formats.Row
		callable string // the callable number, "" = not callable
		mailable bool
	}{
		{"mobile preferred", addr(formats.Row{MobileE164: "+46701", PhoneE164: "+4681", Phones: []string{"+4631"}}), "+46701", true},
		{"blocked mobile, unlisted landline", formats.Row{MobileE164: "+46701", PhoneE164: "+4681", NIXBlockedMask: registers.MaskMobile}, "+4681", false},
		{"blocked mobile and landline, further number free", formats.Row{MobileE164: "+46701", PhoneE164: "+4681", Phones: []string{"+4631", "+4640"},
			NIXBlockedMask: registers.MaskMobile | registers.MaskPhone | registers.PhoneBit(0)}, "+4640", false},
		{"all blocked", addr(formats.Row{MobileE164: "+46701", NIXBlockedMask: registers.MaskMobile}), "", true},
		{"numbers beyond the mask are blocked with the rest bit", formats.Row{Phones: []string{"a", "b", "c", "d", "e", "+46f"},
			NIXBlockedMask: 0x7c | registers.MaskPhonesRest}, "", false},
		{"no valid number", addr(formats.Row{}), "", true},
		{"registers not used (NULL marks)", formats.Row{MobileE164: "+46701"}, "+46701", false},
		{"robinson", addr(formats.Row{MobileE164: "+46701", Robinson: formats.True}), "", true},
		{"robinson false", formats.Row{MobileE164: "+46701", Robinson: formats.False}, "+46701", false},
		{"internal dnc", addr(formats.Row{MobileE164: "+46701", InternalDNC: formats.True}), "", true},
		{"deceased", addr(formats.Row{MobileE164: "+46701", Deceased: formats.True}), "", false},
		{"erased", addr(formats.Row{MobileE164: "+46701", Erased: formats.True}), "", false},
		{"duplicate", addr(formats.Row{MobileE164: "+46701", DuplicateOf: 7}), "", false},
		{"rejected", addr(formats.Row{MobileE164: "+46701", Rejected: true}), "", false},
		{"protected identity", addr(formats.Row{MobileE164: "+46701", Protected: formats.True}), "+46701", false},
		{"postal code not valid", formats.Row{Street: "Storgatan 1"}, "", false},
		{"no street", formats.Row{PostalValid: true}, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := &Batch{Rows: []formats.Row{c.row}}
			b.Rows[0].Callable, b.Rows[0].Mailable, b.Rows[0].CallableNumber = true, true, "stale"
			if err := NewDecideStage().Process(context.Background(), b); err != nil {
				t.Fatal(err)
			}
			r := b.Rows[0]
			if r.CallableNumber != c.callable || r.Callable != (c.callable != "") {
				t.Errorf("callable = %v %q, want %q", r.Callable, r.CallableNumber, c.callable)
			}
			if r.Mailable != c.mailable {
				t.Errorf("mailable = %v, want %v", r.Mailable, c.mailable)
			}
		})
	}
}
