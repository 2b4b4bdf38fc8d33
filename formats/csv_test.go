package formats

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// got is a record as a test sees it: fields copied out of the reader.
type got struct {
	Line   int64
	Fields []string
	Reject string
	Repair string
	Raw    string
}

func readAll(t *testing.T, data []byte, opts Options) (Reader, []got, error) {
	t.Helper()
	r, err := Open(bytes.NewReader(data), opts)
	if err != nil {
		return nil, nil, err
	}
	t.Cleanup(func() { r.Close() })
	var out []got
	var rec Record
	for {
		err := r.Read(&rec)
		if err == io.EOF {
			return r, out, nil
		}
		if err != nil {
			return r, out, err
		}
		out = append(out, got{rec.Line, append([]string(nil), rec.Fields...), rec.Reject, rec.Repair, rec.Raw})
	}
}

func win1252(t *testing.T, s string) []byte {
	t.Helper()
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSniff(t *testing.T) {
	const body = "Förnamn;Efternamn;Ort\nÅsa;Öberg;Västerås\nÉmile;Müller;Malmö\n"
	bom := append([]byte{0xEF, 0xBB, 0xBF}, body...)
	tests := []struct {
		name string
		data []byte
		want Info
	}{
		{"semicolon utf-8 lf", []byte(body), Info{Format: "csv", Encoding: "utf-8", Delimiter: ";", LineEnds: "lf", Columns: 3}},
		{"comma", []byte(strings.ReplaceAll(body, ";", ",")), Info{Format: "csv", Encoding: "utf-8", Delimiter: ",", LineEnds: "lf", Columns: 3}},
		{"tab", []byte(strings.ReplaceAll(body, ";", "\t")), Info{Format: "csv", Encoding: "utf-8", Delimiter: "\t", LineEnds: "lf", Columns: 3}},
		{"pipe", []byte(strings.ReplaceAll(body, ";", "|")), Info{Format: "csv", Encoding: "utf-8", Delimiter: "|", LineEnds: "lf", Columns: 3}},
		{"utf-8 bom", bom, Info{Format: "csv", Encoding: "utf-8-bom", Delimiter: ";", LineEnds: "lf", Columns: 3}},
		{"windows-1252 crlf", win1252(t, strings.ReplaceAll(body, "\n", "\r\n")), Info{Format: "csv", Encoding: "windows-1252", Delimiter: ";", LineEnds: "crlf", Columns: 3}},
		{"classic mac cr", []byte(strings.ReplaceAll(body, "\n", "\r")), Info{Format: "csv", Encoding: "utf-8", Delimiter: ";", LineEnds: "cr", Columns: 3}},
		{"utf-16le", utf16le(t, body), Info{Format: "csv", Encoding: "utf-16le", Delimiter: ";", LineEnds: "lf", Columns: 3}},
	}
	wantRecs := []got{
		{Line: 2, Fields: []string{"Åsa", "Öberg", "Västerås"}},
		{Line: 3, Fields: []string{"Émile", "Müller", "Malmö"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, recs, err := readAll(t, tt.data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Info() != tt.want {
				t.Errorf("Info = %+v, want %+v", r.Info(), tt.want)
			}
			if h := r.Header(); !reflect.DeepEqual(h, []string{"Förnamn", "Efternamn", "Ort"}) {
				t.Errorf("Header = %q", h)
			}
			if !reflect.DeepEqual(recs, wantRecs) {
				t.Errorf("records = %+v, want %+v", recs, wantRecs)
			}
		})
	}
}

func utf16le(t *testing.T, s string) []byte {
	t.Helper()
	b, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSniffDelimiterConsistency(t *testing.T) {
	// Commas inside values, semicolons as delimiter: consistent counts win.
	data := "namn;adress;ort\nAnna A, jr;Storgatan 1, lgh 2;Sthlm\nBo;Vägen 2;Gbg\nCy;Gatan 3, 2 tr;Lund\n"
	r, _, err := readAll(t, []byte(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Info().Delimiter != ";" {
		t.Errorf("delimiter %q, want ;", r.Info().Delimiter)
	}
}

func TestQuotes(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []got
	}{
		{
			name: "doubled quotes and quoted delimiter",
			data: "a;b;c\n1;\"Ann \"\"Lill\"\" A\";\"x;y\"\n",
			want: []got{{Line: 2, Fields: []string{"1", `Ann "Lill" A`, "x;y"}}},
		},
		{
			name: "stray quote is data",
			data: "a;b;c\n1;Ann\"a;x\n2;O\"Brien\";y\n",
			want: []got{
				{Line: 2, Fields: []string{"1", `Ann"a`, "x"}},
				{Line: 3, Fields: []string{"2", `O"Brien"`, "y"}},
			},
		},
		{
			name: "multi-line quoted address, crlf",
			data: "id;street;city\r\n1;\"Storgatan 1\r\nLgh 1102\";Sthlm\r\n2;Vägen 2;Gbg\r\n",
			want: []got{
				{Line: 2, Fields: []string{"1", "Storgatan 1\nLgh 1102", "Sthlm"}},
				{Line: 4, Fields: []string{"2", "Vägen 2", "Gbg"}},
			},
		},
		{
			name: "multi-line quoted field in last column",
			data: "id;name;street\n1;Anna;\"Storgatan 1\nLgh 1102\"\n2;Bo;Vägen 2\n",
			want: []got{
				{Line: 2, Fields: []string{"1", "Anna", "Storgatan 1\nLgh 1102"}},
				{Line: 4, Fields: []string{"2", "Bo", "Vägen 2"}},
			},
		},
		{
			name: "unclosed quote in first column does not swallow",
			data: "name;street;zip;city\n\"Andersson;Storgatan 1;12345;Sthlm\nBerg;Vägen 2;41111;Gbg\n\"Ceder;\"Gatan\" 3;22222;Lund\nDahl;Allén 4;33333;Umeå\n",
			want: []got{
				{Line: 2, Fields: []string{`"Andersson`, "Storgatan 1", "12345", "Sthlm"}},
				{Line: 3, Fields: []string{"Berg", "Vägen 2", "41111", "Gbg"}},
				{Line: 4, Fields: []string{`"Ceder`, `"Gatan" 3`, "22222", "Lund"}},
				{Line: 5, Fields: []string{"Dahl", "Allén 4", "33333", "Umeå"}},
			},
		},
		{
			name: "unclosed quote in last column does not swallow",
			data: "id;name;street\n1;Anna;\"Storgatan 1\n2;Bo;Vägen 2\n3;Cy;\"Gatan\"\n",
			want: []got{
				{Line: 2, Fields: []string{"1", "Anna", `"Storgatan 1`}},
				{Line: 3, Fields: []string{"2", "Bo", "Vägen 2"}},
				{Line: 4, Fields: []string{"3", "Cy", "Gatan"}},
			},
		},
		{
			name: "unclosed quote at end of file",
			data: "id;name;street\n1;Anna;\"Storgatan 1\n\n",
			want: []got{{Line: 2, Fields: []string{"1", "Anna", `"Storgatan 1`}}},
		},
		{
			name: "quoted field spanning too many lines is taken literally",
			data: "id;note\n1;\"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\"\n",
			want: []got{
				{Line: 2, Fields: []string{"1", `"a`}},
				{Line: 3, Fields: []string{"b", ""}}, {Line: 4, Fields: []string{"c", ""}},
				{Line: 5, Fields: []string{"d", ""}}, {Line: 6, Fields: []string{"e", ""}},
				{Line: 7, Fields: []string{"f", ""}}, {Line: 8, Fields: []string{"g", ""}},
				{Line: 9, Fields: []string{"h", ""}}, {Line: 10, Fields: []string{"i", ""}},
				{Line: 11, Fields: []string{`j"`, ""}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, recs, err := readAll(t, []byte(tt.data), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(recs, tt.want) {
				t.Errorf("records:\n got %+v\nwant %+v", recs, tt.want)
			}
		})
	}
}

func TestFieldCount(t *testing.T) {
	const header = "Förnamn;Efternamn;Gatuadress;Postnummer;Postort\n"
	tests := []struct {
		name string
		line string
		want got
	}{
		{"exact", "Anna;Berg;Storgatan 5;12345;Sthlm",
			got{Line: 2, Fields: []string{"Anna", "Berg", "Storgatan 5", "12345", "Sthlm"}}},
		{"apartment after delimiter repaired", "Anna;Berg;Storgatan 5; lgh 1102;12345;Sthlm",
			got{Line: 2, Fields: []string{"Anna", "Berg", "Storgatan 5; lgh 1102", "12345", "Sthlm"},
				Repair: RepairedExtraDelimiter, Raw: "Anna;Berg;Storgatan 5; lgh 1102;12345;Sthlm"}},
		{"floor after delimiter repaired", "Anna;Berg;Fabriksvägen 39C; 2 tr;12345;Sthlm",
			got{Line: 2, Fields: []string{"Anna", "Berg", "Fabriksvägen 39C; 2 tr", "12345", "Sthlm"},
				Repair: RepairedExtraDelimiter, Raw: "Anna;Berg;Fabriksvägen 39C; 2 tr;12345;Sthlm"}},
		{"split street with an empty last cell repaired, columns kept", "Anna;Berg;Fabriksvägen 39C; 2 tr;12345;",
			got{Line: 2, Fields: []string{"Anna", "Berg", "Fabriksvägen 39C; 2 tr", "12345", ""},
				Repair: RepairedExtraDelimiter, Raw: "Anna;Berg;Fabriksvägen 39C; 2 tr;12345;"}},
		{"a number alone after the street is not a floor", "Anna;Berg;Storgatan 5;2;12345;Sthlm",
			got{Line: 2, Fields: []string{"Anna", "Berg", "Storgatan 5", "2", "12345", "Sthlm"},
				Reject: RejectFieldCount, Raw: "Anna;Berg;Storgatan 5;2;12345;Sthlm"}},
		{"polish apartment repaired", "Jan;Nowak;ul. Długa 5;m. 3;00-001;Warszawa",
			got{Line: 2, Fields: []string{"Jan", "Nowak", "ul. Długa 5;m. 3", "00-001", "Warszawa"},
				Repair: RepairedExtraDelimiter, Raw: "Jan;Nowak;ul. Długa 5;m. 3;00-001;Warszawa"}},
		{"extra delimiter in name rejected", "Anna;Maria;Berg;Storgatan 5;12345;Sthlm",
			got{Line: 2, Fields: []string{"Anna", "Maria", "Berg", "Storgatan 5", "12345", "Sthlm"},
				Reject: RejectFieldCount, Raw: "Anna;Maria;Berg;Storgatan 5;12345;Sthlm"}},
		{"two extra fields rejected", "Anna;Berg;Storgatan 5; lgh 1102;2 tr;12345;Sthlm",
			got{Line: 2, Fields: []string{"Anna", "Berg", "Storgatan 5", " lgh 1102", "2 tr", "12345", "Sthlm"},
				Reject: RejectFieldCount, Raw: "Anna;Berg;Storgatan 5; lgh 1102;2 tr;12345;Sthlm"}},
		{"marker not after a street rejected", "Anna;Berg;Storgatan 5;12345;Sthlm;lgh 2",
			got{Line: 2, Fields: []string{"Anna", "Berg", "Storgatan 5", "12345", "Sthlm", "lgh 2"},
				Reject: RejectFieldCount, Raw: "Anna;Berg;Storgatan 5;12345;Sthlm;lgh 2"}},
		{"city starting like a marker is not one", "Anna;Berg;Storgatan 5;Tranås;12345;Sthlm",
			got{Line: 2, Fields: []string{"Anna", "Berg", "Storgatan 5", "Tranås", "12345", "Sthlm"},
				Reject: RejectFieldCount, Raw: "Anna;Berg;Storgatan 5;Tranås;12345;Sthlm"}},
		{"quoted record with extra delimiter repaired", "\"Anna\";Berg;Storgatan 5;lgh 1102;12345;Sthlm",
			got{Line: 2, Fields: []string{"Anna", "Berg", "Storgatan 5;lgh 1102", "12345", "Sthlm"},
				Repair: RepairedExtraDelimiter, Raw: "\"Anna\";Berg;Storgatan 5;lgh 1102;12345;Sthlm"}},
		{"too few fields padded", "Anna;Berg",
			got{Line: 2, Fields: []string{"Anna", "Berg", "", "", ""}}},
		{"trailing empty fields dropped", "Anna;Berg;Storgatan 5;12345;Sthlm;;; ",
			got{Line: 2, Fields: []string{"Anna", "Berg", "Storgatan 5", "12345", "Sthlm"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, recs, err := readAll(t, []byte(header+tt.line+"\n"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 {
				t.Fatalf("got %d records, want 1", len(recs))
			}
			if !reflect.DeepEqual(recs[0], tt.want) {
				t.Errorf("got  %+v\nwant %+v", recs[0], tt.want)
			}
		})
	}
}

func TestRejectMessageHasNoValues(t *testing.T) {
	data := "a;b\nSecretName;x;y;z\n"
	r, err := Open(strings.NewReader(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var rec Record
	if err := r.Read(&rec); err != nil {
		t.Fatal(err)
	}
	if rec.Reject != RejectFieldCount || rec.Message != "4 fields, header has 2" {
		t.Errorf("reject %q message %q", rec.Reject, rec.Message)
	}
}

func TestBlankLinesAndLineNumbers(t *testing.T) {
	data := "\r\nid;name\r\n\r\n1;Anna\r\n  \r\n;;\r\n2;Bo\r\n\r\n"
	r, recs, err := readAll(t, []byte(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []got{{Line: 4, Fields: []string{"1", "Anna"}}, {Line: 7, Fields: []string{"2", "Bo"}}}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("records %+v, want %+v", recs, want)
	}
	if r.BytesRead() != int64(len(data)) {
		t.Errorf("BytesRead = %d, want %d", r.BytesRead(), len(data))
	}
}

func TestEncodingRepairInUTF8File(t *testing.T) {
	// 70 KB of ASCII so the sniffer says UTF-8, then a Windows-1252 line.
	var b bytes.Buffer
	b.WriteString("id;name\n")
	for i := 0; i < 7000; i++ {
		b.WriteString("1;abcdefg\n")
	}
	b.Write(win1252(t, "2;Åsa Öberg\n"))
	b.WriteString("3;Émile ✓\n")
	_, recs, err := readAll(t, b.Bytes(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 7002 {
		t.Fatalf("got %d records", len(recs))
	}
	want := []got{
		{Line: 7002, Fields: []string{"2", "Åsa Öberg"}, Repair: RepairedEncoding, Raw: "2;Åsa Öberg"},
		{Line: 7003, Fields: []string{"3", "Émile ✓"}},
	}
	if !reflect.DeepEqual(recs[7000:], want) {
		t.Errorf("got %+v\nwant %+v", recs[7000:], want)
	}
}

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGzip(t *testing.T) {
	var plain bytes.Buffer
	plain.WriteString("id;name\n")
	for i := 0; i < 20000; i++ {
		plain.WriteString("12345;Anna Andersson Storgatan\n")
	}
	compressed := gz(t, plain.Bytes())

	t.Run("ok", func(t *testing.T) {
		r, recs, err := readAll(t, compressed, Options{Name: "list.csv"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Info().Compressed != "gzip" || len(recs) != 20000 || recs[19999].Line != 20001 {
			t.Errorf("info %+v, %d records", r.Info(), len(recs))
		}
		if r.BytesRead() != int64(len(compressed)) {
			t.Errorf("BytesRead = %d, want %d", r.BytesRead(), len(compressed))
		}
	})
	t.Run("truncated", func(t *testing.T) {
		_, recs, err := readAll(t, compressed[:len(compressed)/2], Options{Name: "list.csv.gz"})
		var pe *ParseError
		if !errors.As(err, &pe) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err = %v, want *ParseError wrapping io.ErrUnexpectedEOF", err)
		}
		if !strings.Contains(err.Error(), "truncated gzip stream") || pe.File != "list.csv.gz" {
			t.Errorf("err = %v", err)
		}
		if pe.Line != int64(len(recs))+2 {
			t.Errorf("error at line %d after %d records", pe.Line, len(recs))
		}
		if len(recs) == 0 || len(recs) >= 20000 {
			t.Errorf("%d records before the error", len(recs))
		}
	})
	t.Run("truncated header", func(t *testing.T) {
		_, err := Open(bytes.NewReader(compressed[:5]), Options{})
		if err == nil || !strings.Contains(err.Error(), "gzip") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrNoData},
		{"whitespace", []byte(" \r\n\t\n"), ErrNoData},
		{"bom only", []byte("\xEF\xBB\xBF\r\n"), ErrNoData},
		{"only delimiters", []byte(";;;\n;;\n"), ErrNoData},
		{"gzip of nothing", gz(t, nil), ErrNoData},
		{"pdf", []byte("%PDF-1.7\n..."), ErrUnsupported},
		{"png", []byte("\x89PNG\r\n\x1a\n...."), ErrUnsupported},
		{"nul bytes", []byte("id;name\n1;\x00\x00\x01\n"), ErrUnsupported},
		{"legacy xls", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), ErrUnsupported},
		{"zip that is not xlsx", zipOf(t), ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(bytes.NewReader(tt.data), Options{Name: "f"})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "f" {
				t.Errorf("err = %#v, want a *ParseError for file f", err)
			}
		})
	}
}

func TestHeaderOnly(t *testing.T) {
	for _, data := range []string{"id;name", "id;name\r\n", "id;name\n\n\n"} {
		r, recs, err := readAll(t, []byte(data), Options{})
		if err != nil || len(recs) != 0 {
			t.Errorf("%q: err %v, %d records", data, err, len(recs))
			continue
		}
		if r.Info().Columns != 2 {
			t.Errorf("%q: columns %d", data, r.Info().Columns)
		}
	}
}

func TestLineTooLong(t *testing.T) {
	long := "2;" + strings.Repeat("å", 600_000) // 1.2 MB
	data := "id;name\n1;Anna\n" + long + "\n3;Bo\n"
	_, recs, err := readAll(t, []byte(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	if r := recs[1]; r.Line != 3 || r.Reject != RejectLineTooLong || len(r.Raw) > rawPrefixBytes || !strings.HasPrefix(r.Raw, "2;åå") {
		t.Errorf("long record: line %d reject %q raw %d bytes", r.Line, r.Reject, len(r.Raw))
	}
	if r := recs[2]; r.Line != 4 || r.Fields[1] != "Bo" || r.Reject != "" {
		t.Errorf("after long record: %+v", r)
	}
	// A smaller limit also applies to lines that fit the buffer.
	_, recs, err = readAll(t, []byte("id;name\n1;"+strings.Repeat("x", 100)+"\n2;ok\n"), Options{MaxRecordBytes: 50})
	if err != nil || len(recs) != 2 || recs[0].Reject != RejectLineTooLong || recs[1].Reject != "" {
		t.Errorf("limit 50: err %v records %+v", err, recs)
	}
}

func TestProfileOptions(t *testing.T) {
	no := false
	tests := []struct {
		name    string
		data    []byte
		profile *Profile
		header  []string
		want    []got
	}{
		{
			name:    "encoding and delimiter from profile",
			data:    win1252(t, "a,b\nÅsa,x;y\n"),
			profile: &Profile{Delimiter: ",", Encoding: "iso-8859-1"},
			header:  []string{"a", "b"},
			want:    []got{{Line: 2, Fields: []string{"Åsa", "x;y"}}},
		},
		{
			name:    "no header",
			data:    []byte("Anna;0701234567\nBo;0702222222\n"),
			profile: &Profile{HasHeader: &no, Columns: map[string]string{"column_2": "mobile"}},
			header:  []string{"column_1", "column_2"},
			want: []got{
				{Line: 1, Fields: []string{"Anna", "0701234567"}},
				{Line: 2, Fields: []string{"Bo", "0702222222"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, recs, err := readAll(t, tt.data, Options{Profile: tt.profile})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Header(), tt.header) || !reflect.DeepEqual(recs, tt.want) {
				t.Errorf("header %q records %+v", r.Header(), recs)
			}
		})
	}
}

func TestFixtures(t *testing.T) {
	tests := []struct {
		file    string
		info    Info
		records int
		rejects int
		repairs int
	}{
		{"suppliers_win1252.csv", Info{Format: "csv", Encoding: "windows-1252", Delimiter: ";", LineEnds: "crlf", Columns: 8}, 6, 1, 1},
		{"suppliers_comma_bom.csv", Info{Format: "csv", Encoding: "utf-8-bom", Delimiter: ",", LineEnds: "lf", Columns: 5}, 3, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile("../testdata/formats/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			r, recs, err := readAll(t, data, Options{Name: tt.file})
			if err != nil {
				t.Fatal(err)
			}
			if r.Info() != tt.info {
				t.Errorf("info %+v", r.Info())
			}
			rej, rep := 0, 0
			for _, rec := range recs {
				if rec.Reject != "" {
					rej++
				}
				if rec.Repair != "" {
					rep++
				}
			}
			if len(recs) != tt.records || rej != tt.rejects || rep != tt.repairs {
				t.Errorf("%d records, %d rejects, %d repairs: %+v", len(recs), rej, rep, recs)
			}
		})
	}
}

func TestSplitMatchesNaive(t *testing.T) {
	// Bytes next to ';' in value (':' = ';'^1, '<') provoke the false
	// positives of the eight-byte scan.
	alphabet := []byte{';', ':', '<', '"', 'a', 0x01, 0xC3, 0xA5, ','}
	r := &csvReader{delim: ';'}
	seed := uint32(1)
	for n := 0; n < 20000; n++ {
		text := make([]byte, n%40)
		for i := range text {
			seed = seed*1664525 + 1013904223
			text[i] = alphabet[int(seed>>24)%len(alphabet)]
		}
		var want []int
		quote := false
		for i, c := range text {
			if c == ';' {
				want = append(want, i)
			}
			quote = quote || c == '"'
		}
		ok := r.split(text)
		if ok == quote || (ok && !reflect.DeepEqual(append([]int{}, r.cuts...), append([]int{}, want...))) {
			t.Fatalf("split(%q) = %v %v, want quote=%v cuts %v", text, ok, r.cuts, quote, want)
		}
	}
}
