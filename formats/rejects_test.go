package formats

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"testing"
)

func TestRejectsWriter(t *testing.T) {
	var b bytes.Buffer
	w := NewRejectsWriter(&b)
	recs := []Record{
		{Line: 7, Reject: RejectFieldCount, Message: "6 fields, header has 5", Raw: "Anna;Maria;Berg;\"x\";1;2"},
		{Line: 9, Repair: RepairedExtraDelimiter, Raw: "=HYPERLINK(\"http://x\")"},
		{Line: 12, Reject: RejectLineTooLong, Message: "line longer than 10 bytes", Raw: "+46701234567;-1;@x"},
		{Line: 13, Reject: RejectUnterminated, Raw: "\tline\nwith newline"},
	}
	for i := range recs {
		if err := w.Write(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"source_line", "reason", "message", "raw"},
		{"7", RejectFieldCount, "6 fields, header has 5", "Anna;Maria;Berg;\"x\";1;2"},
		{"9", RepairedExtraDelimiter, "", "'=HYPERLINK(\"http://x\")"},
		{"12", RejectLineTooLong, "line longer than 10 bytes", "'+46701234567;-1;@x"},
		{"13", RejectUnterminated, "", "'\tline\nwith newline"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("got %q\nwant %q", rows, want)
	}
}

func TestRejectsWriterEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := NewRejectsWriter(&b).Close(); err != nil {
		t.Fatal(err)
	}
	if b.String() != "source_line,reason,message,raw\n" {
		t.Errorf("got %q", b.String())
	}
}
