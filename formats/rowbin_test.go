package formats

import (
	"errors"
	"reflect"
	"strconv"
	"testing"
)

// fillRow sets every field of a Row to a distinct non-zero value by
// reflection, so that a field added to Row but forgotten by the spill
// codec fails the round trip.
func fillRow(t *testing.T, seed int) Row {
	t.Helper()
	var row Row
	v := reflect.ValueOf(&row).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		name := v.Type().Field(i).Name
		val := name + "-" + strconv.Itoa(seed) + "-åäö"
		switch f.Kind() {
		case reflect.String:
			f.SetString(val)
		case reflect.Int64:
			f.SetInt(int64(1000*seed + i))
		case reflect.Uint8:
			f.SetUint(uint64(seed+i) | 1)
		case reflect.Float32:
			f.SetFloat(0.5 + float64(i)/1000)
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Slice:
			f.Set(reflect.ValueOf([]string{val, "", val + "2"}))
		case reflect.Pointer:
			switch f.Type().Elem().Kind() {
			case reflect.Bool:
				f.Set(reflect.ValueOf(Bool(i%2 == 0)))
			case reflect.String:
				s := val
				f.Set(reflect.ValueOf(&s))
			default:
				t.Fatalf("field %s: pointer kind not covered by the test", name)
			}
		default:
			t.Fatalf("field %s: kind %s not covered by the test (and maybe not by the codec)", name, f.Kind())
		}
	}
	return row
}

func TestRowBinaryRoundTrip(t *testing.T) {
	full := fillRow(t, 1)
	empty := Row{SourceLine: 7}
	nulls := fillRow(t, 2)
	nulls.NIXListed, nulls.NIXVersion, nulls.Phones, nulls.Reasons = nil, nil, nil, nil
	falses := fillRow(t, 3)
	v := reflect.ValueOf(&falses).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Bool {
			f.SetBool(false)
		}
	}
	falses.Robinson = False
	empty2 := ""
	falses.ValidUntil = &empty2

	cases := []struct {
		name string
		rec  Record
		row  Row
	}{
		{"every field set", Record{Line: 12, Reject: RejectFieldCount, Message: "m", Repair: "r", Raw: "a;b"}, full},
		{"zero row", Record{Line: 7}, empty},
		{"nulls and empty lists", Record{Line: 99}, nulls},
		{"false bools, empty optional string", Record{Line: 1 << 40}, falses},
	}
	var buf []byte
	for _, c := range cases {
		buf = AppendRowBinary(buf, &c.rec, &c.row)
	}
	var d RowDecoder
	d.Reset(buf)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var rec Record
			row := Row{Reasons: make([]string, 0, 4)}
			rec.Fields = []string{"stale"}
			if err := d.Decode(&rec, &row); err != nil {
				t.Fatal(err)
			}
			want := c.rec
			want.Fields = nil
			if !reflect.DeepEqual(rec, want) {
				t.Errorf("record = %+v, want %+v", rec, want)
			}
			// nil and empty slices are the same row.
			for _, p := range []*[]string{&row.Phones, &row.Reasons, &row.Extra, &row.PhonesRaw} {
				if len(*p) == 0 {
					*p = nil
				}
			}
			wantRow := c.row
			for _, p := range []*[]string{&wantRow.Phones, &wantRow.Reasons, &wantRow.Extra, &wantRow.PhonesRaw} {
				if len(*p) == 0 {
					*p = nil
				}
			}
			if !reflect.DeepEqual(row, wantRow) {
				t.Errorf("row differs after the round trip:\n got %+v\nwant %+v", row, wantRow)
			}
		})
	}
	if d.More() {
		t.Error("bytes left after the last row")
	}
}

func TestRowBinaryInternsOptionalStrings(t *testing.T) {
	a, b := "2026-10-29", "2026-10-29"
	var buf []byte
	for _, s := range []*string{&a, &b} {
		buf = AppendRowBinary(buf, &Record{}, &Row{NIXVersion: s})
	}
	var d RowDecoder
	d.Reset(buf)
	var r1, r2 Row
	var rec Record
	if err := d.Decode(&rec, &r1); err != nil {
		t.Fatal(err)
	}
	if err := d.Decode(&rec, &r2); err != nil {
		t.Fatal(err)
	}
	if r1.NIXVersion != r2.NIXVersion || *r1.NIXVersion != a {
		t.Errorf("NIXVersion not shared: %p %p", r1.NIXVersion, r2.NIXVersion)
	}
}

func TestRowBinaryCorrupt(t *testing.T) {
	full := fillRow(t, 1)
	buf := AppendRowBinary(nil, &Record{Line: 3}, &full)
	for _, cut := range []int{1, len(buf) / 3, len(buf) - 1} {
		var d RowDecoder
		d.Reset(buf[:cut])
		var row Row
		var rec Record
		if err := d.Decode(&rec, &row); !errors.Is(err, ErrCorruptSpill) {
			t.Errorf("cut at %d of %d: err = %v, want ErrCorruptSpill", cut, len(buf), err)
		}
	}
}

// BenchmarkRowBinary encodes and decodes a typical washed row.
func BenchmarkRowBinary(b *testing.B) {
	v := "2026-10-29"
	row := Row{SourceFile: "delivery.csv", SourceLine: 123456, Supplier: "Exempel Leads AB", RunID: "20261123T003300Z",
		FirstName: "Anna", LastName: "Andersson", Street: "Storgatan 12 lgh 1102", PostalCode: "123 45", City: "Stockholm",
		Country: "SE", Email: "anna.andersson@gmail.com", PNR: "198507124567", PhoneE164: "+4681234567", MobileE164: "+46701234567",
		FirstNameRaw: "ANNA", LastNameRaw: "Andersson", StreetRaw: "Storgatan 12 lgh 1102", PostalCodeRaw: "12345", CityRaw: "STOCKHOLM",
		EmailRaw: "Anna.Andersson@gmail.com", PNRRaw: "850712-4567", PhoneRaw: "08-123 45 67", MobileRaw: "070-123 45 67",
		PhoneType: "fixed_line", MobileType: "mobile", StreetName: "Storgatan", StreetNumber: "12", Apartment: "1102",
		BirthDate: "1985-07-12", Gender: "M", IDKind: "personnummer", NameKey: "anna andersson",
		PhoneValid: true, MobileValid: true, PostalValid: true, PNRValid: true, EmailValid: true,
		NIXListed: False, NIXVersion: &v, ValidUntil: &v, Robinson: False, Deceased: False,
		Callable: true, CallableNumber: "+46701234567", Mailable: true, Reasons: []string{"NIX_CONSENT"}}
	rec := Record{Line: 123456}
	buf := AppendRowBinary(nil, &rec, &row)
	b.Logf("%d bytes a row", len(buf))
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			buf = AppendRowBinary(buf[:0], &rec, &row)
		}
	})
	b.Run("decode", func(b *testing.B) {
		var d RowDecoder
		var out Row
		for b.Loop() {
			d.Reset(buf)
			if err := d.Decode(&rec, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Decoded reason codes do not point into the frame: a scorecard map keyed
// by them must not keep frames alive, nor change when a buffer is reused.
func TestRowBinaryReasonsInterned(t *testing.T) {
	buf := AppendRowBinary(nil, &Record{}, &Row{Reasons: []string{"NIX_BLOCKED", "DUPLICATE"}})
	var d RowDecoder
	d.Reset(buf)
	var row Row
	if err := d.Decode(&Record{}, &row); err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] = 'x'
	}
	if len(row.Reasons) != 2 || row.Reasons[0] != "NIX_BLOCKED" || row.Reasons[1] != "DUPLICATE" {
		t.Fatalf("reasons after the frame was overwritten: %q", row.Reasons)
	}
}
