package formats

import (
	"bytes"
	"errors"
	"io"
	"math"
	"math/rand/v2"
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

func TestRowParquetLayout(t *testing.T) {
	if rowParquetLayout != nil {
		t.Fatal(rowParquetLayout)
	}
}

// markPatterns returns n rows whose nullable marks follow pattern: each
// mark of row i is NULL, false or true (the *string marks NULL, "" or a
// date) as pattern(i, mark) returns 0, 1 or 2.
func markPatterns(n int, pattern func(i, mark int) int) []Row {
	dates := []string{"", "2026-11-20"}
	rows := make([]Row, n)
	for i := range rows {
		r := &rows[i]
		r.SourceLine = int64(i + 2)
		bools := []**bool{&r.NIXListed, &r.NIXConsent, &r.Robinson, &r.InternalDNC, &r.Deceased,
			&r.Erased, &r.Moved, &r.Protected, &r.PhoneOwnerMatch}
		strs := []**string{&r.NIXVersion, &r.ValidUntil}
		for m, p := range bools {
			if v := pattern(i, m); v > 0 {
				*p = Bool(v == 2)
			}
		}
		for m, p := range strs {
			if v := pattern(i, len(bools)+m); v > 0 {
				*p = &dates[v-1]
			}
		}
	}
	return rows
}

// TestRowWriterSameAsRow checks that writing through rowParquet gives the
// same file, byte for byte, as parquet-go writing Row itself, for runs
// and mixes of NULL, false and true in the marks, batches of every size
// and row groups that end mid batch.
func TestRowWriterSameAsRow(t *testing.T) {
	if rowParquetLayout != nil {
		t.Fatalf("RowWriter writes Row directly: %v", rowParquetLayout)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	cycled := make([]Row, 300)
	for i := range cycled {
		fillParquetRow(&cycled[i], i)
	}
	tests := []struct {
		name         string
		rows         []Row
		rowGroupRows int64
	}{
		{"every column cycling", cycled, 0},
		{"every column cycling, small row groups", cycled, 37},
		{"all NULL", markPatterns(500, func(int, int) int { return 0 }), 0},
		{"all set", markPatterns(500, func(i, m int) int { return 1 + (i+m)%2 }), 0},
		{"random", markPatterns(3000, func(int, int) int { return rng.IntN(3) }), 0},
		{"random, small row groups", markPatterns(3000, func(int, int) int { return rng.IntN(3) }), 100},
		{"rare NULLs", markPatterns(3000, func(int, int) int { return min(rng.IntN(20), 1) + rng.IntN(2) }), 0},
		{"rare values", markPatterns(3000, func(int, int) int { return max(rng.IntN(20)-17, 0) }), 0},
		{"runs", markPatterns(3000, func(i, m int) int { return (i / (m + 1)) % 3 }), 1000},
		{"growing runs", markPatterns(3000, func(i, m int) int { return int(math.Sqrt(float64(i*(m+1)))) % 3 }), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, batch := range []int{1, 7, 64, 100, 4096} {
				write := func(viaRowParquet bool) []byte {
					var buf bytes.Buffer
					w := newRowWriter(&buf, tc.rowGroupRows, map[string]string{"run_id": "r1"}, viaRowParquet)
					for i := 0; i < len(tc.rows); i += batch {
						if err := w.Write(tc.rows[i:min(i+batch, len(tc.rows))]); err != nil {
							t.Fatal(err)
						}
					}
					if err := w.Close(); err != nil {
						t.Fatal(err)
					}
					if w.Rows() != int64(len(tc.rows)) {
						t.Fatalf("Rows() = %d, want %d", w.Rows(), len(tc.rows))
					}
					return buf.Bytes()
				}
				if got, want := write(true), write(false); !bytes.Equal(got, want) {
					t.Errorf("batches of %d: via rowParquet %d bytes, Row %d bytes, not the same", batch, len(got), len(want))
				}
			}
		})
	}
}

// TestRowWriterMarksReadBack writes marks in every mix of NULL, false
// and true (and NULL, "" and a date for the string marks) and reads each
// mark column back page by page, value by value, outside the Row
// mapping: NULL must be NULL (definition level 0), false false, true true.
func TestRowWriterMarksReadBack(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	tests := []struct {
		name    string
		pattern func(i, mark int) int
	}{
		{"random", func(int, int) int { return rng.IntN(3) }},
		{"alternating", func(i, m int) int { return (i + m) % 3 }},
		{"NULL, set, set, NULL", func(i, m int) int { return []int{0, 1, 2, 0, 2}[(i+m)%5] }},
		{"runs of 64", func(i, m int) int { return (i/64 + m) % 3 }},
		{"rare NULLs", func(int, int) int { return min(rng.IntN(30), 1) + rng.IntN(2) }},
	}
	names := []string{"nix_listed", "nix_consent", "robinson", "internal_dnc", "deceased",
		"erased", "moved", "protected", "phone_owner_match", "nix_version", "valid_until"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const n = 2000
			var want [n][11]int
			rows := markPatterns(n, func(i, m int) int {
				want[i][m] = tc.pattern(i, m)
				return want[i][m]
			})
			data := writeRows(t, rows, 300)
			f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			for m, name := range names {
				leaf, ok := f.Schema().Lookup(name)
				if !ok {
					t.Fatalf("no column %s", name)
				}
				var got []parquet.Value
				for _, rg := range f.RowGroups() {
					pages := rg.ColumnChunks()[leaf.ColumnIndex].Pages()
					for {
						p, err := pages.ReadPage()
						if errors.Is(err, io.EOF) {
							break
						}
						if err != nil {
							t.Fatal(err)
						}
						vals := make([]parquet.Value, p.NumValues())
						if k, err := p.Values().ReadValues(vals); k != len(vals) || (err != nil && !errors.Is(err, io.EOF)) {
							t.Fatalf("%s: read %d of %d values: %v", name, k, len(vals), err)
						}
						got = append(got, vals...)
					}
					pages.Close()
				}
				if len(got) != n {
					t.Fatalf("%s: %d values, want %d", name, len(got), n)
				}
				for i, v := range got {
					var g int
					switch {
					case v.IsNull() || v.DefinitionLevel() == 0:
						g = 0
					case v.Kind() == parquet.Boolean && !v.Boolean(), v.Kind() == parquet.ByteArray && len(v.ByteArray()) == 0:
						g = 1
					case v.Kind() == parquet.Boolean, string(v.ByteArray()) == "2026-11-20":
						g = 2
					default:
						t.Fatalf("%s row %d: unexpected value %v", name, i, v)
					}
					if g != want[i][m] {
						t.Errorf("%s row %d: got %s, want %s", name, i, []string{"NULL", "false/empty", "true/date"}[g], []string{"NULL", "false/empty", "true/date"}[want[i][m]])
					}
				}
			}
			// And through the Row mapping of parquet-go's reader.
			for i, r := range readRows(t, data) {
				if !sameRow(r, rows[i]) {
					t.Fatalf("row %d:\n got %+v\nwant %+v", i, r, rows[i])
				}
			}
		})
	}
}

// TestSafeRows pins where a batch is cut: only where a run of set marks
// starting at row s of the batch is exactly s long and only NULLs follow
// it in the batch (the pattern parquet-go v0.32.0 writes wrongly).
func TestSafeRows(t *testing.T) {
	// bits reads a pattern of '1' (set) and '0' (NULL), row 0 first.
	bits := func(p string) uint64 {
		var b uint64
		for i, c := range p {
			if c == '1' {
				b |= 1 << i
			}
		}
		return b
	}
	tests := []struct {
		name  string
		marks []string // patterns of the first marks; the others are NULL
		n     int
		want  int
	}{
		{"all NULL", nil, 64, 64},
		{"all set", []string{strings.Repeat("1", 64)}, 64, 64},
		{"set from row 0, then NULL", []string{"1100000"}, 7, 7},
		{"run of 1 at row 1, then NULL", []string{"010"}, 3, 2},
		{"run of 2 at row 2, then NULLs", []string{"1011000"}, 7, 4},
		{"run of 2 at row 2 reaching the end", []string{"0011"}, 4, 4},
		{"run of 3 at row 2, then NULL", []string{"001110"}, 6, 6},
		{"run of 1 at row 1, then a later run", []string{"01001"}, 5, 5},
		{"run of 32 at row 32 before a NULL", []string{strings.Repeat("0", 32) + strings.Repeat("1", 32)}, 64, 64},
		{"cut twice", []string{"0101", "01000000"}, 8, 2},
		{"second mark cuts first", []string{"1111111111", "0001110000"}, 10, 6},
		{"a cut makes another", []string{"01001", "00110"}, 5, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m marksSet
			for i, p := range tc.marks {
				m[i] = bits(p)
			}
			if got := safeRows(&m, tc.n); got != tc.want {
				t.Errorf("safeRows(%q, %d) = %d, want %d", tc.marks, tc.n, got, tc.want)
			}
		})
	}
}
