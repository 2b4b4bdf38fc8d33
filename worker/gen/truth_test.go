package gen

import (
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// checkPNR validates a personnummer independently of the generator and
// returns its 12 digits. A 10-digit number is read in the latest century
// that puts the birth date on or before asOf ('+' means 100 years more).
func checkPNR(s string, asOf time.Time) (string, bool) {
	var d []byte
	sep := byte(0)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			d = append(d, c)
		case (c == '-' || c == '+') && sep == 0 && i == len(s)-5:
			sep = c
		default:
			return "", false
		}
	}
	atoi := func(b []byte) int {
		n := 0
		for _, c := range b {
			n = n*10 + int(c-'0')
		}
		return n
	}
	var year int
	switch len(d) {
	case 12:
		if sep == '+' {
			return "", false
		}
		year = atoi(d[:4])
		d = d[2:]
	case 10:
		yy := atoi(d[:2])
		year = asOf.Year() - (asOf.Year()-yy)%100
		bd := time.Date(year, time.Month(atoi(d[2:4])), atoi(d[4:6])%60, 0, 0, 0, 0, time.UTC)
		if bd.After(asOf) {
			year -= 100
		}
		if sep == '+' {
			year -= 100
		}
	default:
		return "", false
	}
	month, day := atoi(d[2:4]), atoi(d[4:6])
	if day > 60 {
		day -= 60
	}
	bd := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if month < 1 || month > 12 || day < 1 || bd.Day() != day || bd.After(asOf) {
		return "", false
	}
	sum := 0
	for i, c := range d[:9] {
		v := int(c-'0') * (2 - i%2)
		sum += v/10 + v%10
	}
	if byte('0'+(10-sum%10)%10) != d[9] {
		return "", false
	}
	return strings.Repeat("0", 4-len(strconvItoa(year))) + strconvItoa(year) + string(d[2:]), true
}

func strconvItoa(n int) string { return string(appendDigits(nil, uint64(n), 1)) }

// checkEmail accepts local@domain with a known good domain.
func checkEmail(s string) bool {
	local, domain, ok := strings.Cut(strings.ToLower(s), "@")
	return ok && local != "" && !strings.ContainsAny(local, " @") && slices.Contains(emailDomains, domain)
}

// registerSets loads the registers as a wash would, with callable() for
// phone numbers and checkPNR for identity numbers.
type registerSets struct {
	nix, dncPhone, dncPNR, dncEmail, deceased map[string]bool
	consent                                   map[string]bool // valid consents for cfg.Company
	postcodes                                 map[string]string
}

func loadRegisters(t *testing.T, dir string, cfg Config) registerSets {
	t.Helper()
	rs := registerSets{nix: map[string]bool{}, dncPhone: map[string]bool{}, dncPNR: map[string]bool{}, dncEmail: map[string]bool{},
		deceased: map[string]bool{}, consent: map[string]bool{}, postcodes: map[string]string{}}
	lines := func(sub string) [][]string {
		files, _ := filepath.Glob(filepath.Join(dir, "registers", sub, "*"))
		if len(files) != 1 {
			t.Fatalf("registers/%s: %d files", sub, len(files))
		}
		f, err := os.Open(files[0])
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r := csv.NewReader(f)
		r.FieldsPerRecord = -1
		all, err := r.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return all
	}
	for _, l := range lines("nix") {
		e, _, ok := callable(l[0])
		if !ok {
			t.Fatalf("NIX entry %d is not a callable number", len(rs.nix))
		}
		rs.nix[e] = true
	}
	for _, l := range lines("deceased") {
		p, ok := checkPNR(l[0], cfg.AsOf)
		if !ok {
			t.Fatal("deceased entry is not a valid personnummer")
		}
		rs.deceased[p] = true
	}
	for _, l := range lines("dnc")[1:] {
		switch l[0] {
		case "phone":
			e, _, _ := callable(l[1])
			rs.dncPhone[e] = true
		case "pnr":
			p, _ := checkPNR(l[1], cfg.AsOf)
			rs.dncPNR[p] = true
		case "email":
			rs.dncEmail[strings.ToLower(l[1])] = true
		}
	}
	for _, l := range lines("consents")[1:] {
		d, err := time.Parse(time.DateOnly, l[2])
		if err != nil {
			t.Fatal(err)
		}
		e, _, _ := callable(l[0])
		if l[1] == cfg.Company && !d.After(cfg.AsOf) && d.AddDate(0, 3, 0).After(cfg.AsOf) {
			rs.consent[e] = true
		}
	}
	for _, l := range lines("postcodes")[1:] {
		rs.postcodes[strings.ReplaceAll(l[1], " ", "")] = l[2]
	}
	return rs
}

// checkRows compares every delivery record with its truth row, judging the
// record independently: libphonenumber for phones, checkPNR, the postcode
// register, the other registers.
func checkRows(t *testing.T, cfg Config, dir string, header []string, recs [][]string, lines []int64) map[string]int {
	t.Helper()
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	truth := readTruth(t, dir)
	rs := loadRegisters(t, dir, cfg)
	if len(recs) != len(truth) {
		t.Fatalf("%d records, %d truth rows", len(recs), len(truth))
	}
	names := headerNames[cfg.Headers]
	col := map[int]int{}
	for i, h := range header {
		col[slices.Index(names[:], h)] = i
	}
	byLine := map[int64]truthRow{}
	seen := map[string]int{}
	for i, rec := range recs {
		tr := truth[i]
		byLine[tr.int("source_line")] = tr
		if lines[i] != tr.int("source_line") {
			t.Fatalf("record %d on line %d, truth says %d", i, lines[i], tr.int("source_line"))
		}
		defects := strings.Split(tr["defects"], "|")
		for _, d := range defects {
			seen[d]++
		}
		seen[tr["kind"]]++
		if len(rec) < numCols {
			if !slices.Contains(defects, DefectTooFewFields) || tr.bool("phone_valid") || tr.bool("pnr_valid") || tr.bool("nix_listed") {
				t.Errorf("line %d: short record, truth %v", lines[i], tr)
			}
			continue
		}
		if len(rec) == numCols+1 { // extra delimiter in the street: merge back
			s := col[colStreet]
			rec = slices.Concat(rec[:s], []string{rec[s] + string(cfg.Delimiter) + rec[s+1]}, rec[s+2:])
			if !tr.bool("repairable") || !slices.Contains(defects, DefectExtraDelimiter) {
				t.Errorf("line %d: extra field, truth %v", lines[i], tr)
			}
		}
		get := func(c int) string { return rec[col[c]] }
		for _, c := range []struct {
			name       string
			value      string
			mustMobile bool
		}{{"phone", get(colPhone), false}, {"mobile", get(colMobile), true}} {
			e, mob, ok := callable(c.value)
			ok = ok && (mob || !c.mustMobile)
			if !ok {
				e = ""
			}
			if ok != tr.bool(c.name+"_valid") || e != tr[c.name+"_e164"] {
				t.Errorf("line %d: %s validity %v %q, truth %s %s (defects %s)", lines[i], c.name, ok, e, tr[c.name+"_valid"], tr[c.name+"_e164"], tr["defects"])
			}
		}
		p, ok := checkPNR(get(colPNR), cfg.AsOf)
		if ok != tr.bool("pnr_valid") || (ok && p != tr["pnr"]) {
			t.Errorf("line %d: pnr validity %v %s, truth %s %s (defects %s)", lines[i], ok, p, tr["pnr_valid"], tr["pnr"], tr["defects"])
		}
		place, known := rs.postcodes[strings.ReplaceAll(get(colPostal), " ", "")]
		if postal := known && strings.EqualFold(place, get(colCity)); postal != tr.bool("postal_valid") {
			t.Errorf("line %d: postal validity %v, truth %s (defects %s)", lines[i], postal, tr["postal_valid"], tr["defects"])
		}
		if em := checkEmail(get(colEmail)); em != tr.bool("email_valid") {
			t.Errorf("line %d: email validity %v, truth %s (defects %s)", lines[i], em, tr["email_valid"], tr["defects"])
		}
		ph, mo := tr["phone_e164"], tr["mobile_e164"]
		nix := rs.nix[ph] || rs.nix[mo]
		consent := nix && (rs.nix[ph] && rs.consent[ph] || rs.nix[mo] && rs.consent[mo])
		dnc := rs.dncPhone[ph] || rs.dncPhone[mo] || (tr.bool("pnr_valid") && rs.dncPNR[tr["pnr"]]) ||
			(tr.bool("email_valid") && rs.dncEmail[strings.ToLower(get(colEmail))])
		for _, c := range []struct {
			name string
			got  bool
		}{{"nix_listed", nix}, {"nix_consent", consent}, {"deceased", rs.deceased[tr["pnr"]]}, {"internal_dnc", dnc}} {
			if c.got != tr.bool(c.name) {
				t.Errorf("line %d: %s %v, truth %s", lines[i], c.name, c.got, tr[c.name])
			}
			if c.got {
				seen[c.name]++
			}
		}
	}
	// Duplicates point at the first row of the same person.
	for _, tr := range truth {
		switch tr["kind"] {
		case KindOriginal:
			if tr.int("dup_of_line") != 0 {
				t.Errorf("original with dup_of_line %s", tr["dup_of_line"])
			}
		default:
			o, ok := byLine[tr.int("dup_of_line")]
			if !ok || o["kind"] != KindOriginal || o["person_id"] != tr["person_id"] || o.int("source_line") >= tr.int("source_line") {
				t.Errorf("line %s: duplicate of %s is not the person's earlier original", tr["source_line"], tr["dup_of_line"])
			}
		}
	}
	return seen
}

func TestTruthMatchesIndependentJudgement(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(*Config)
	}{
		{"semicolon", func(c *Config) {}},
		{"comma crlf english", func(c *Config) { c.Delimiter, c.CRLF, c.Headers = ',', true, HeadersEnglish }},
		{"tab shuffled", func(c *Config) { c.Delimiter, c.ShuffleColumns = '\t', true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := richConfig(15000)
			tt.cfg(&cfg)
			dir, _ := generate(t, cfg)
			f, err := os.Open(filepath.Join(dir, "delivery.csv"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r := csv.NewReader(f)
			r.Comma, r.LazyQuotes, r.FieldsPerRecord = rune(cfg.Delimiter), true, -1
			header, err := r.Read()
			if err != nil {
				t.Fatal(err)
			}
			var recs [][]string
			var lines []int64
			for {
				rec, err := r.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				l, _ := r.FieldPos(0)
				recs, lines = append(recs, rec), append(lines, int64(l))
			}
			seen := checkRows(t, cfg, dir, header, recs, lines)
			for _, d := range slices.Concat(defectGroups[:]...) {
				if seen[d] == 0 {
					t.Errorf("defect %s never generated", d)
				}
			}
			for _, k := range []string{KindExactDup, KindNearDup, "nix_listed", "nix_consent", "deceased", "internal_dnc"} {
				if seen[k] == 0 {
					t.Errorf("%s never true", k)
				}
			}
		})
	}
}

func TestXLSX(t *testing.T) {
	cfg := richConfig(3000)
	cfg.XLSX = true
	dir, _ := generate(t, cfg)
	f, err := excelize.OpenFile(filepath.Join(dir, "delivery.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	lines := make([]int64, len(rows)-1)
	for i := range lines {
		lines[i] = int64(i + 2)
		for len(rows[i+1]) < numCols { // excelize drops trailing empty cells
			rows[i+1] = append(rows[i+1], "")
		}
	}
	seen := checkRows(t, cfg, dir, rows[0], rows[1:], lines)
	if seen[DefectTooFewFields]+seen[DefectExtraDelimiter] != 0 {
		t.Error("CSV-only defects in an XLSX delivery")
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(*Config)
	}{
		{"negative rows", func(c *Config) { c.Rows = -1 }},
		{"bad delimiter", func(c *Config) { c.Delimiter = ':' }},
		{"bad encoding", func(c *Config) { c.Encoding = "latin-2" }},
		{"xlsx too big", func(c *Config) { c.XLSX, c.Rows = true, MaxXLSXRows+1 }},
		{"rate above one", func(c *Config) { c.DefectRate = 1.5 }},
		{"nix too big", func(c *Config) { c.NIXSize = mobileSpace }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(10)
			tt.cfg(&cfg)
			if _, err := WriteDelivery(context.Background(), io.Discard, cfg); err == nil {
				t.Error("no error")
			}
		})
	}
}
