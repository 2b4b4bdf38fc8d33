package formats

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Profile holds what is known about one supplier's files. Every field is
// optional; the zero value sniffs everything.
type Profile struct {
	// Name identifies the profile (usually the supplier).
	Name string `yaml:"name" json:"name"`
	// Delimiter: ";", ",", "|", "\t" (also "tab", "semicolon", "comma",
	// "pipe"); "" sniffs it.
	Delimiter string `yaml:"delimiter" json:"delimiter"`
	// Encoding: "utf-8", "windows-1252" or "iso-8859-1" (read as
	// Windows-1252, its superset); "" sniffs it. A UTF-8 BOM always wins.
	Encoding string `yaml:"encoding" json:"encoding"`
	// DefaultCountry is the ISO 3166 alpha-2 code for numbers and postal
	// codes without a country; "" leaves the run's default.
	DefaultCountry string `yaml:"default_country" json:"default_country"`
	// Columns maps a header name as written (or folded: case, accents,
	// spaces and punctuation ignored) to a canonical field name (see
	// ParseField) or "-" to ignore the column. Without a header, columns
	// are named column_1, column_2...
	Columns map[string]string `yaml:"columns" json:"columns"`
	// HasHeader says the first non-blank line is a header; nil means true.
	HasHeader *bool `yaml:"has_header" json:"has_header"`
}

// HeaderRow reports whether files of this profile start with a header.
func (p *Profile) HeaderRow() bool { return p == nil || p.HasHeader == nil || *p.HasHeader }

// ErrBadProfile is wrapped by every profile validation error.
var ErrBadProfile = errors.New("bad profile")

// LoadProfile reads a profile in YAML or JSON and validates it.
func LoadProfile(r io.Reader) (*Profile, error) {
	var p Profile
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("load profile: empty: %w", ErrBadProfile)
		}
		return nil, fmt.Errorf("load profile: %w: %w", ErrBadProfile, err)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("load profile: %w", err)
	}
	return &p, nil
}

// Validate checks the delimiter, encoding, country and column field names
// and normalises DefaultCountry to upper case.
func (p *Profile) Validate() error {
	if p.Delimiter != "" {
		if _, ok := parseDelimiter(p.Delimiter); !ok {
			return fmt.Errorf("%w: delimiter %q: want ; , | or tab", ErrBadProfile, p.Delimiter)
		}
	}
	if p.Encoding != "" {
		if _, ok := parseEncoding(p.Encoding); !ok {
			return fmt.Errorf("%w: encoding %q: want utf-8, windows-1252 or iso-8859-1", ErrBadProfile, p.Encoding)
		}
	}
	if c := strings.ToUpper(strings.TrimSpace(p.DefaultCountry)); c != "" {
		if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
			return fmt.Errorf("%w: default_country %q: want an ISO 3166 alpha-2 code", ErrBadProfile, p.DefaultCountry)
		}
		p.DefaultCountry = c
	}
	keys := make([]string, 0, len(p.Columns))
	for k := range p.Columns {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := p.Columns[k]
		if v == "-" {
			continue
		}
		if _, ok := ParseField(v); !ok {
			return fmt.Errorf("%w: column %q: unknown field %q (known: %s)", ErrBadProfile, k, v, fieldList())
		}
	}
	return nil
}

func fieldList() string {
	var names []string
	for _, f := range Fields() {
		names = append(names, f.String())
	}
	return strings.Join(names, ", ")
}

func parseDelimiter(s string) (byte, bool) {
	switch strings.ToLower(s) {
	case ";", "semicolon":
		return ';', true
	case ",", "comma":
		return ',', true
	case "\t", `\t`, "tab":
		return '\t', true
	case "|", "pipe":
		return '|', true
	}
	return 0, false
}

func parseEncoding(s string) (textEncoding, bool) {
	switch strings.ToLower(strings.ReplaceAll(s, "_", "-")) {
	case "utf-8", "utf8":
		return encUTF8, true
	case "windows-1252", "cp1252", "iso-8859-1", "latin-1", "latin1", "iso8859-1":
		return encWindows1252, true
	}
	return encUTF8, false
}
