package formats

import (
	"bytes"
	"io"
	"os"
	"testing"
)

// FuzzCSVReader checks that the reader never panics and accounts for every
// line: records come in strictly increasing, disjoint line ranges, and every
// non-blank line is the header or inside exactly one record.
func FuzzCSVReader(f *testing.F) {
	seeds := []string{
		"a;b;c\n1;2;3\n",
		"id;street;city\r\n1;\"Storgatan 1\r\nLgh 1102\";Sthlm\r\n2;Vägen 2;Gbg\r\n",
		"name;street;zip;city\n\"Andersson;Storgatan 1;12345;Sthlm\nBerg;Vägen 2;41111;Gbg\n",
		"id;name;street\n1;Anna;\"Storgatan 1\nLgh 1102\"\n2;Bo;Vägen 2\n",
		"a,b\n\"x\"\"y\",z\n\n\n\"open,\nq\"\n",
		"Förnamn;Efternamn;Gatuadress;Postnummer;Postort\nAnna;Berg;Storgatan 5; lgh 1102;12345;Sthlm\n",
		"a\tb\r1\t2\r",
		"a|b|c\n|||\n\"|\"|\"\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint16(0))
	}
	if b, err := os.ReadFile("../testdata/formats/suppliers_win1252.csv"); err == nil {
		f.Add(b, uint16(40))
	}
	f.Fuzz(func(t *testing.T, data []byte, limit uint16) {
		max := 0
		if limit > 0 {
			max = int(limit%2048) + 1
		}
		r, err := Open(bytes.NewReader(data), Options{MaxRecordBytes: max})
		if err != nil {
			return
		}
		defer r.Close()
		cr, ok := r.(*csvReader)
		if !ok || cr.info.Compressed != "" || cr.info.Encoding != "utf-8" && cr.info.Encoding != "windows-1252" && cr.info.Encoding != "utf-8-bom" {
			return // line accounting below works on plain single-byte-terminated text
		}
		covered := map[int64]int{}
		if cr.endLine > 0 {
			covered[cr.endLine]++ // the header
		}
		prevEnd := cr.endLine
		var rec Record
		for {
			err := r.Read(&rec)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if rec.Line <= prevEnd || cr.endLine < rec.Line {
				t.Fatalf("record at line %d..%d after line %d", rec.Line, cr.endLine, prevEnd)
			}
			if rec.Reject == "" && len(rec.Fields) != cr.ncol {
				t.Fatalf("line %d: %d fields, header has %d, no reject", rec.Line, len(rec.Fields), cr.ncol)
			}
			if (rec.Reject != "" || rec.Repair != "") && rec.Raw == "" {
				t.Fatalf("line %d: reject %q repair %q without Raw", rec.Line, rec.Reject, rec.Repair)
			}
			for l := rec.Line; l <= cr.endLine; l++ {
				covered[l]++
			}
			prevEnd = cr.endLine
		}
		lines := bytes.Split(data, []byte{cr.eol})
		if len(lines[len(lines)-1]) == 0 {
			lines = lines[:len(lines)-1]
		}
		if int64(len(lines)) != cr.line {
			t.Fatalf("reader counted %d lines, input has %d", cr.line, len(lines))
		}
		for i, l := range lines {
			num := int64(i + 1)
			if i == 0 {
				l = bytes.TrimPrefix(l, magicUTF8BOM)
			}
			if n := covered[num]; n > 1 || (n == 0 && !cr.isBlank(l)) {
				t.Fatalf("line %d is in %d records", num, n)
			}
		}
	})
}
