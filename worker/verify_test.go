package worker

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/infra"
)

// verifyRows returns n rows exercising every counted column: NULL and
// non-NULL marks, empty and long lists, empty and set raw values.
func verifyRows(n int) []formats.Row {
	rows := make([]formats.Row, n)
	codes := []string{ReasonDuplicate, ReasonNearDuplicate, ReasonNIXBlocked, formats.RepairedExtraDelimiter, "PHONE_INVALID"}
	for i := range rows {
		r := &rows[i]
		r.SourceLine = int64(i + 2)
		r.Rejected = i%17 == 0
		if i%3 != 0 {
			r.PhoneRaw = "070-123 45 67"
		}
		if i%4 == 1 {
			r.MobileRaw = "+46701234567"
		}
		if i%5 != 0 {
			r.EmailRaw = "a@example.se"
		}
		for k := range i % 4 {
			r.Phones = append(r.Phones, "+4670123456"+string(rune('0'+k)))
		}
		r.PhoneValid, r.MobileValid = i%2 == 0, i%7 == 0
		r.PostalValid, r.PNRValid, r.EmailValid = i%3 == 0, i%5 != 1, i%11 != 0
		marks := []**bool{&r.NIXListed, &r.Robinson, &r.InternalDNC, &r.Deceased, &r.Erased, &r.Moved, &r.PhoneOwnerMatch}
		for k, m := range marks {
			switch (i + k) % 3 {
			case 1:
				*m = formats.True
			case 2:
				*m = formats.False
			}
		}
		if i%6 == 0 {
			r.DuplicateOf = 1
		}
		r.Callable, r.Mailable = i%2 == 1, i%3 == 1
		for k := range i % 6 {
			r.Reasons = append(r.Reasons, codes[(i+k)%len(codes)])
		}
		r.Street, r.Raw = "Storgatan 1", "x,y" // not counted: must be skipped
	}
	return rows
}

// writeParts writes rows as Parquet parts of partRows rows, row groups of
// 7, and returns the files as the run would list them.
func writeParts(t *testing.T, out *infra.LocalStore, rows []formats.Row, partRows int) []OutputFile {
	t.Helper()
	o := newOutputs(out)
	ps := newPartSet(context.Background(), o, RowsDir, "part-", 1, 7, int64(partRows), nil)
	for start := 0; start < len(rows); start += 5 {
		if err := ps.write(0, rows[start:min(start+5, len(rows))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := ps.close(); err != nil {
		t.Fatal(err)
	}
	return o.files()
}

func tallyOf(rows []formats.Row) *tally {
	t := newTally()
	for i := range rows {
		t.count(&rows[i])
	}
	t.finish()
	return t
}

func TestVerifyOutput(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(written []formats.Row) // rows as written to Parquet
		expect func(want []formats.Row)    // rows the writer counted
		ok     bool
	}{
		{name: "matching output", ok: true},
		{name: "a mark differs", edit: func(w []formats.Row) { w[40].Robinson = formats.True; w[40].Rejected = false }},
		{name: "a NULL mark written as false", edit: func(w []formats.Row) { w[42].Rejected = false; w[42].PhoneOwnerMatch = formats.False }},
		{name: "a reason lost", edit: func(w []formats.Row) { w[5].Reasons = w[5].Reasons[:len(w[5].Reasons)-1] }},
		{name: "a phone list emptied", edit: func(w []formats.Row) {
			w[43].Rejected, w[43].PhoneValid, w[43].MobileValid = false, false, false
			w[43].Phones = nil
		}},
		{name: "a raw value emptied", edit: func(w []formats.Row) { w[44].Rejected = false; w[44].EmailRaw = "" }},
		{name: "a source line twice in a row group", edit: func(w []formats.Row) { w[4].SourceLine = w[3].SourceLine }},
		{name: "a source line twice in other row groups", edit: func(w []formats.Row) { w[10].SourceLine = w[3].SourceLine }},
		{name: "a source line twice in other parts", edit: func(w []formats.Row) { w[60].SourceLine = w[3].SourceLine }},
		{name: "the writer counted differently", expect: func(want []formats.Row) { want[0].Rejected = !want[0].Rejected }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := verifyRows(100)
			written := make([]formats.Row, len(rows))
			for i := range rows {
				written[i] = rows[i]
				written[i].Phones = append([]string(nil), rows[i].Phones...)
				written[i].Reasons = append([]string(nil), rows[i].Reasons...)
			}
			if tt.edit != nil {
				tt.edit(written)
			}
			if tt.expect != nil {
				tt.expect(rows)
			}
			out, err := infra.NewLocalStore(filepath.Join(t.TempDir(), "out"))
			if err != nil {
				t.Fatal(err)
			}
			files := writeParts(t, out, written, 30)
			if len(files) != 4 {
				t.Fatalf("%d parts, want 4", len(files))
			}
			err = verifyOutput(context.Background(), out, RowsDir+"/", files, tallyOf(rows))
			if tt.ok && err != nil {
				t.Fatalf("verify: %v", err)
			}
			if !tt.ok && !errors.Is(err, ErrAccounting) {
				t.Fatalf("verify: %v, want ErrAccounting", err)
			}
		})
	}
}
