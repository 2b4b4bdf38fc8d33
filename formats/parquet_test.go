package formats

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// fillParquetRow sets every written field of r from i: each column cycles
// through its zero value and non-zero values (for the optional marks
// NULL, false and true; for the lists nil, empty, one and several
// elements), shifted per column so that columns do not move in step.
func fillParquetRow(r *Row, i int) {
	v := reflect.ValueOf(r).Elem()
	t := v.Type()
	for f := 0; f < t.NumField(); f++ {
		if t.Field(f).Tag.Get("parquet") == "-" {
			continue
		}
		k := i + f
		fv := v.Field(f)
		switch fv.Interface().(type) {
		case string:
			fv.SetString([]string{"", "Åsa-Lööf " + strconv.Itoa(k), "+4670123456" + strconv.Itoa(k%10)}[k%3])
		case int64:
			fv.SetInt([]int64{0, int64(k), -int64(k) << 40}[k%3])
		case float32:
			fv.SetFloat([]float64{0, 0.5, 1}[k%3])
		case bool:
			fv.SetBool(k%2 == 1)
		case *bool:
			fv.Set(reflect.ValueOf([]*bool{nil, False, True}[k%3]))
		case *string:
			if k%2 == 1 {
				s := "2026-11-" + strconv.Itoa(k%30)
				fv.Set(reflect.ValueOf(&s))
			} else {
				fv.Set(reflect.Zero(fv.Type()))
			}
		case []string:
			fv.Set(reflect.ValueOf([][]string{nil, {}, {"PHONE_MULTIPLE"}, {"+46701234567", "", "+48" + strconv.Itoa(k)}}[k%4]))
		default:
			panic("fillParquetRow: no values for column type " + fv.Type().String())
		}
	}
}

// writeRows writes rows in batches of 7 with the given row group size and
// returns the file.
func writeRows(t *testing.T, rows []Row, rowGroupRows int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewRowWriter(&buf, rowGroupRows, map[string]string{"run_id": "r1"})
	for i := 0; i < len(rows); i += 7 {
		if err := w.Write(rows[i:min(i+7, len(rows))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Rows() != int64(len(rows)) {
		t.Fatalf("Rows() = %d, want %d", w.Rows(), len(rows))
	}
	return buf.Bytes()
}

func readRows(t *testing.T, data []byte) []Row {
	t.Helper()
	r := parquet.NewGenericReader[Row](bytes.NewReader(data))
	defer r.Close()
	var got []Row
	buf := make([]Row, 64)
	for {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// sameRow compares the written columns of two rows; a nil and an empty
// list are the same list.
func sameRow(a, b Row) bool {
	for _, r := range []*Row{&a, &b} {
		r.FullNameRaw, r.PhonesRaw, r.NIXBlockedMask = "", nil, 0
		for _, l := range []*[]string{&r.Phones, &r.Reasons, &r.Extra} {
			if len(*l) == 0 {
				*l = nil
			}
		}
	}
	return reflect.DeepEqual(a, b)
}

func TestRowWriterRoundTrip(t *testing.T) {
	cycled := func(n int) []Row {
		rows := make([]Row, n)
		for i := range rows {
			fillParquetRow(&rows[i], i)
		}
		return rows
	}
	tests := []struct {
		name         string
		rows         []Row
		rowGroupRows int64
		rowGroups    int
	}{
		{"every value of every column", cycled(36), 0, 1},
		{"row groups split mid batch", cycled(50), 8, 7},
		{"zero rows", nil, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := writeRows(t, tc.rows, tc.rowGroupRows)
			f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			if got := len(f.Metadata().RowGroups); got != tc.rowGroups {
				t.Errorf("%d row groups, want %d", got, tc.rowGroups)
			}
			if v, ok := f.Lookup("run_id"); !ok || v != "r1" {
				t.Errorf("footer run_id = %q, %v", v, ok)
			}
			for _, rg := range f.Metadata().RowGroups {
				for _, c := range rg.Columns {
					if c.MetaData.Codec != format.Zstd {
						t.Errorf("column %v: codec %v, want ZSTD", c.MetaData.PathInSchema, c.MetaData.Codec)
					}
				}
			}
			got := readRows(t, data)
			if len(got) != len(tc.rows) {
				t.Fatalf("read %d rows, wrote %d", len(got), len(tc.rows))
			}
			for i := range got {
				if !sameRow(got[i], tc.rows[i]) {
					t.Fatalf("row %d:\n got %+v\nwant %+v", i, got[i], tc.rows[i])
				}
			}
		})
	}
}

// TestRowWriterOptionalMarks pins NULL, false and true apart for every
// optional mark, and the column types and repetition of the output schema.
func TestRowWriterOptionalMarks(t *testing.T) {
	marks := []struct {
		name string
		set  func(*Row, *bool)
		get  func(*Row) *bool
	}{
		{"nix_listed", func(r *Row, b *bool) { r.NIXListed = b }, func(r *Row) *bool { return r.NIXListed }},
		{"nix_consent", func(r *Row, b *bool) { r.NIXConsent = b }, func(r *Row) *bool { return r.NIXConsent }},
		{"robinson", func(r *Row, b *bool) { r.Robinson = b }, func(r *Row) *bool { return r.Robinson }},
		{"internal_dnc", func(r *Row, b *bool) { r.InternalDNC = b }, func(r *Row) *bool { return r.InternalDNC }},
		{"deceased", func(r *Row, b *bool) { r.Deceased = b }, func(r *Row) *bool { return r.Deceased }},
		{"erased", func(r *Row, b *bool) { r.Erased = b }, func(r *Row) *bool { return r.Erased }},
		{"moved", func(r *Row, b *bool) { r.Moved = b }, func(r *Row) *bool { return r.Moved }},
		{"protected", func(r *Row, b *bool) { r.Protected = b }, func(r *Row) *bool { return r.Protected }},
		{"phone_owner_match", func(r *Row, b *bool) { r.PhoneOwnerMatch = b }, func(r *Row) *bool { return r.PhoneOwnerMatch }},
	}
	values := []*bool{nil, False, True}
	for _, m := range marks {
		t.Run(m.name, func(t *testing.T) {
			rows := make([]Row, len(values))
			for i, v := range values {
				m.set(&rows[i], v)
			}
			got := readRows(t, writeRows(t, rows, 0))
			for i, want := range values {
				g := m.get(&got[i])
				if (g == nil) != (want == nil) || (g != nil && *g != *want) {
					t.Errorf("row %d: got %v, want %v", i, fmtMark(g), fmtMark(want))
				}
			}
		})
	}
}

func fmtMark(b *bool) string {
	if b == nil {
		return "NULL"
	}
	return strconv.FormatBool(*b)
}

// TestRowSchemaContract pins the output schema: column names, physical
// types, optional and repeated columns. Encodings may change; these not.
func TestRowSchemaContract(t *testing.T) {
	schema := parquet.SchemaOf(Row{})
	var got []string
	for _, path := range schema.Columns() {
		leaf, _ := schema.Lookup(path...)
		col := strings.Join(path, ".") + " " + leaf.Node.Type().Kind().String()
		if leaf.Node.Optional() {
			col += " optional"
		}
		if leaf.MaxRepetitionLevel > 0 {
			col += " repeated"
		}
		got = append(got, col)
	}
	want := []string{
		"source_file BYTE_ARRAY", "source_line INT64", "supplier BYTE_ARRAY", "run_id BYTE_ARRAY",
		"rejected BOOLEAN", "raw BYTE_ARRAY",
		"first_name BYTE_ARRAY", "last_name BYTE_ARRAY", "street BYTE_ARRAY", "co BYTE_ARRAY",
		"postal_code BYTE_ARRAY", "city BYTE_ARRAY", "country BYTE_ARRAY", "email BYTE_ARRAY",
		"pnr BYTE_ARRAY", "phone_e164 BYTE_ARRAY", "mobile_e164 BYTE_ARRAY", "phones.list.element BYTE_ARRAY repeated",
		"first_name_raw BYTE_ARRAY", "last_name_raw BYTE_ARRAY", "street_raw BYTE_ARRAY", "postal_code_raw BYTE_ARRAY",
		"city_raw BYTE_ARRAY", "email_raw BYTE_ARRAY", "pnr_raw BYTE_ARRAY", "phone_raw BYTE_ARRAY", "mobile_raw BYTE_ARRAY",
		"phone_type BYTE_ARRAY", "mobile_type BYTE_ARRAY", "street_name BYTE_ARRAY", "street_number BYTE_ARRAY",
		"street_letter BYTE_ARRAY", "apartment BYTE_ARRAY", "birth_date BYTE_ARRAY", "gender BYTE_ARRAY",
		"id_kind BYTE_ARRAY", "name_key BYTE_ARRAY", "email_suggestion BYTE_ARRAY",
		"phone_valid BOOLEAN", "mobile_valid BOOLEAN", "postal_valid BOOLEAN", "pnr_valid BOOLEAN", "email_valid BOOLEAN",
		"nix_listed BOOLEAN optional", "nix_consent BOOLEAN optional", "nix_version BYTE_ARRAY optional",
		"valid_until BYTE_ARRAY optional", "robinson BOOLEAN optional", "internal_dnc BOOLEAN optional",
		"deceased BOOLEAN optional", "erased BOOLEAN optional", "moved BOOLEAN optional", "protected BOOLEAN optional",
		"phone_owner_match BOOLEAN optional",
		"duplicate_of INT64", "match_score FLOAT", "household_id INT64", "seen_before BYTE_ARRAY",
		"callable BOOLEAN", "callable_number BYTE_ARRAY", "mailable BOOLEAN", "reasons.list.element BYTE_ARRAY repeated",
		"extra.list.element BYTE_ARRAY repeated",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("schema columns:\n got %q\nwant %q", got, want)
	}
}
