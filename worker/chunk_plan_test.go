package worker

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/listwash/listwash/formats"
)

func openPlain(r io.Reader, name string) (formats.Reader, error) {
	return formats.Open(r, formats.Options{Name: name})
}

type readRec struct {
	Line                         int64
	Fields                       []string
	Reject, Repair, Message, Raw string
}

func readAll(t *testing.T, rd formats.Reader) []readRec {
	t.Helper()
	var out []readRec
	var rec formats.Record
	for {
		rec.Reject, rec.Repair, rec.Message, rec.Raw = "", "", "", ""
		err := rd.Read(&rec)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, readRec{rec.Line, append([]string(nil), rec.Fields...), rec.Reject, rec.Repair, rec.Message, rec.Raw})
	}
}

// TestPlanChunksRangesReadLikeTheWholeFile cuts each file at every chunk
// size from 1 byte up and checks that the ranges, read with OpenRange,
// give exactly the whole file's records and line numbers.
func TestPlanChunksRangesReadLikeTheWholeFile(t *testing.T) {
	cp1252 := []byte("förnamn;efternamn;ort\r\nÅsa;Öberg;Malmö\r\n\r\nBo;Ek;Umeå\r\n")
	win := bytes.NewBuffer(nil) // the same text in Windows-1252
	for _, r := range string(cp1252) {
		switch r {
		case 'ö':
			win.WriteByte(0xF6)
		case 'Å':
			win.WriteByte(0xC5)
		case 'Ö':
			win.WriteByte(0xD6)
		case 'å':
			win.WriteByte(0xE5)
		default:
			win.WriteRune(r)
		}
	}
	cases := []struct {
		name string
		data []byte
	}{
		{"lf", []byte("first_name,last_name,city\nAnna,Berg,Lund\nBo,Ek,Umeå\nCecilia,Dahl,Ystad\n")},
		{"crlf no final newline", []byte("first_name;last_name;city\r\nAnna;Berg;Lund\r\nBo;Ek;Umeå\r\nCecilia;Dahl;Ystad")},
		{"quoted multi-line field", []byte("first_name;street;city\nAnna;\"Storgatan 1\nLgh 1102\";Lund\nBo;\"Ekv\"\"agen\";Umeå\n\"Cecilia;\"Box\n12\n\";Ystad\nDag;Torget;Visby\n")},
		{"unclosed quote taken literally", []byte("first_name;street;city\nAnna;\"Storgatan 1;Lund\nBo;Ekvägen;Umeå\nCecilia;Torget;Ystad\n")},
		{"bom", append([]byte("\xEF\xBB\xBF"), "first_name,last_name\nÅsa,Öberg\nBo,Ek\n"...)},
		{"windows-1252 crlf blank line", win.Bytes()},
		{"ragged and blank", []byte("a;b;c\n1;2;3\n;;\n4;5\n6;7;8;9\n\n10;11;12\n")},
		{"mixed encoding line", []byte("first_name;city\nAnna;Lund\nBo;Ume\xe5\nCecilia;Ystad\n")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rd, err := openPlain(bytes.NewReader(tc.data), "in.csv")
			if err != nil {
				t.Fatal(err)
			}
			want := readAll(t, rd)
			rd.Close()
			for size := int64(1); size <= int64(len(tc.data))+1; size++ {
				p, err := PlanChunks(context.Background(), bytes.NewReader(tc.data), "in.csv", openPlain, size)
				if err != nil {
					t.Fatal(err)
				}
				if p.Size != int64(len(tc.data)) || p.Records != int64(len(want)) {
					t.Fatalf("size %d: plan size %d records %d, want %d and %d", size, p.Size, p.Records, len(tc.data), len(want))
				}
				var got []readRec
				end := int64(0)
				for i, c := range p.Chunks {
					if i > 0 && c.Offset != end {
						t.Fatalf("size %d: chunk %d starts at %d, previous ends at %d", size, i, c.Offset, end)
					}
					end = c.Offset + c.Length
					rr, err := formats.OpenRange(bytes.NewReader(tc.data[c.Offset:end]), p.Dialect, c.FirstLine, formats.Options{Name: "in.csv"})
					if err != nil {
						t.Fatal(err)
					}
					recs := readAll(t, rr)
					if int64(len(recs)) != c.Records {
						t.Fatalf("size %d: chunk %d read %d records, plan says %d", size, i, len(recs), c.Records)
					}
					got = append(got, recs...)
				}
				if end != int64(len(tc.data)) {
					t.Fatalf("size %d: chunks end at %d of %d", size, end, len(tc.data))
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("size %d (%d chunks):\n got %+v\nwant %+v", size, len(p.Chunks), got, want)
				}
			}
		})
	}
}

func TestPlanChunksRefusesGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("first_name;city\n" + strings.Repeat("Anna;Lund\n", 100)))
	zw.Close()
	_, err := PlanChunks(context.Background(), &buf, "in.csv.gz", openPlain, 10)
	if !errors.Is(err, formats.ErrNotSplittable) {
		t.Fatalf("gzip input: got %v, want ErrNotSplittable", err)
	}
}
