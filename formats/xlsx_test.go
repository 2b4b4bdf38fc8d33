package formats

import (
	"archive/zip"
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func zipOf(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, err := w.Create("readme.txt")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("not a workbook"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// buildXLSX writes rows to the first sheet, row i at sheet row i+1; a nil
// row is left empty.
func buildXLSX(t *testing.T, rows [][]any, general bool) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	style := 0
	if general {
		var err error
		if style, err = f.NewStyle(&excelize.Style{NumFmt: 0, Font: &excelize.Font{Bold: true}}); err != nil {
			t.Fatal(err)
		}
	}
	for i, row := range rows {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellValue("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
			if style != 0 {
				f.SetCellStyle("Sheet1", cell, cell, style)
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestXLSX(t *testing.T) {
	rows := [][]any{
		{"Förnamn", "Efternamn", "Mobil", "Personnummer", "Summa", "Samtyckesdatum"},
		{"Åsa", "Öberg", 701234567, int64(198001011234), 12.5, time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)},
		nil,
		{"Bo", "Berg", 7.01234568e8, "19800101-1234"},
		{"Cy", "", "", "", "", "2026-01-02", "extra"},
	}
	want := []got{
		{Line: 2, Fields: []string{"Åsa", "Öberg", "701234567", "198001011234", "12.5", "2026-03-14"}},
		{Line: 4, Fields: []string{"Bo", "Berg", "701234568", "19800101-1234", "", ""}},
		{Line: 5, Fields: []string{"Cy", "", "", "", "", "2026-01-02", "extra"}},
	}
	for _, tt := range []struct {
		name     string
		general  bool
		compress bool
	}{{"default style", false, false}, {"general style", true, false}, {"gzip", false, true}} {
		t.Run(tt.name, func(t *testing.T) {
			data := buildXLSX(t, rows, tt.general)
			if tt.compress {
				data = gz(t, data)
			}
			r, recs, err := readAll(t, data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(recs, want) {
				t.Errorf("records:\n got %+v\nwant %+v", recs, want)
			}
			info := Info{Format: "xlsx", Columns: 6}
			if tt.compress {
				info.Compressed = "gzip"
			}
			if r.Info() != info {
				t.Errorf("info %+v", r.Info())
			}
			m := r.Mapping().Columns
			if !reflect.DeepEqual(m, []Field{FieldFirstName, FieldLastName, FieldMobile, FieldPNR, FieldNone, FieldConsentDate}) {
				t.Errorf("mapping %v", m)
			}
			if err := r.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
	}
}

func TestXLSXHeaderOnlyAndEmpty(t *testing.T) {
	_, recs, err := readAll(t, buildXLSX(t, [][]any{nil, {"id", "namn"}}, false), Options{})
	if err != nil || len(recs) != 0 {
		t.Errorf("header only: err %v, %d records", err, len(recs))
	}
	_, err = Open(bytes.NewReader(buildXLSX(t, nil, false)), Options{})
	if !errors.Is(err, ErrNoData) {
		t.Errorf("empty sheet: err %v", err)
	}
}

func TestPlainNumber(t *testing.T) {
	tests := map[string]string{
		"7.01234567E+08":   "701234567",
		"1.98001011234E11": "198001011234",
		"1.5E-3":           "1.5E-3",
		"1E+20":            "1E+20",
		"Lee":              "Lee",
		"E5":               "E5",
		"12e":              "12e",
		"701234567":        "701234567",
	}
	for in, want := range tests {
		if got := plainNumber(in); got != want {
			t.Errorf("plainNumber(%q) = %q, want %q", in, got, want)
		}
	}
}
