package formats

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestLoadProfile(t *testing.T) {
	no := false
	want := &Profile{
		Name:           "acme",
		Delimiter:      ";",
		Encoding:       "windows-1252",
		DefaultCountry: "SE",
		Columns:        map[string]string{"Tel hem": "phone", "Nr": "mobile", "Kundnr": "-"},
		HasHeader:      &no,
	}
	for _, file := range []string{"profile.yaml", "profile.json"} {
		t.Run(file, func(t *testing.T) {
			f, err := os.Open("../testdata/formats/" + file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			p, err := LoadProfile(f)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p, want) {
				t.Errorf("got %+v", p)
			}
			if p.HeaderRow() {
				t.Error("HeaderRow() = true, want false")
			}
		})
	}
}

func TestLoadProfileDefaults(t *testing.T) {
	p, err := LoadProfile(strings.NewReader("name: x\ndelimiter: tab\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !p.HeaderRow() || p.Delimiter != "tab" {
		t.Errorf("got %+v", p)
	}
	if (*Profile)(nil).HeaderRow() != true {
		t.Error("nil profile has no header")
	}
}

func TestLoadProfileErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"unknown field", "columns:\n  Tel: telephone\n", `column "Tel": unknown field "telephone"`},
		{"unknown encoding", `{"encoding": "utf-16"}`, `encoding "utf-16"`},
		{"bad delimiter", "delimiter: ':'\n", `delimiter ":"`},
		{"bad country", "default_country: Sweden\n", `default_country "Sweden"`},
		{"unknown key", "delimeter: ';'\n", "delimeter"},
		{"not yaml", "columns: [\n", "bad profile"},
		{"empty", "", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadProfile(strings.NewReader(tt.in))
			if !errors.Is(err, ErrBadProfile) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrBadProfile containing %q", err, tt.want)
			}
		})
	}
}

func TestOpenRejectsBadProfile(t *testing.T) {
	_, err := Open(strings.NewReader("a;b\n1;2\n"), Options{Profile: &Profile{Delimiter: "::"}})
	if !errors.Is(err, ErrBadProfile) {
		t.Errorf("err = %v, want ErrBadProfile", err)
	}
}
