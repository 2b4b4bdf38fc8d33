package gen

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/encoding/charmap"
)

var testAsOf = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

func testConfig(rows int) Config {
	cfg := DefaultConfig()
	cfg.Rows, cfg.AsOf, cfg.Seed, cfg.Delimiter, cfg.Company = rows, testAsOf, 42, ';', "Ringmästarna AB"
	return cfg
}

// richConfig has many defects, duplicates and register hits.
func richConfig(rows int) Config {
	cfg := testConfig(rows)
	cfg.DefectRate, cfg.DupRate, cfg.NearDupRate, cfg.NIXRate, cfg.NIXSize = 0.3, 0.1, 0.1, 0.3, 500
	return cfg
}

func generate(t *testing.T, cfg Config) (string, Summary) {
	t.Helper()
	dir := t.TempDir()
	sum, err := Generate(context.Background(), cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, sum
}

func TestDeterministic(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"csv", richConfig(3000)},
		{"gzip", func() Config { c := richConfig(2000); c.Gzip = true; return c }()},
		{"xlsx", func() Config { c := richConfig(500); c.XLSX = true; return c }()},
		{"shuffled windows-1252", func() Config {
			c := richConfig(2000)
			c.ShuffleColumns, c.Encoding, c.Delimiter = true, EncodingWindows1252, '\t'
			return c
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := generate(t, tt.cfg)
			b, _ := generate(t, tt.cfg)
			fa, fb := readTree(t, a), readTree(t, b)
			if len(fa) != len(fb) || len(fa) < 10 {
				t.Fatalf("file sets differ or too small: %d vs %d", len(fa), len(fb))
			}
			for name, data := range fa {
				if !bytes.Equal(data, fb[name]) {
					t.Errorf("%s differs between runs with the same seed", name)
				}
			}
			other := tt.cfg
			other.Seed++
			c, _ := generate(t, other)
			name := DeliveryName(tt.cfg)
			if bytes.Equal(fa[name], readTree(t, c)[name]) {
				t.Errorf("%s is the same for another seed", name)
			}
		})
	}
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteDeliveryMatchesGenerate(t *testing.T) {
	cfg := richConfig(2000)
	dir, sum := generate(t, cfg)
	var buf bytes.Buffer
	ws, err := WriteDelivery(context.Background(), &buf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(dir, "delivery.csv"))
	if !bytes.Equal(buf.Bytes(), want) {
		t.Error("WriteDelivery output differs from Generate's delivery.csv")
	}
	if ws.Rows != sum.Rows || ws.Bytes != int64(len(want)) || sum.Bytes != int64(len(want)) {
		t.Errorf("summaries: rows %d/%d bytes %d/%d, file %d", ws.Rows, sum.Rows, ws.Bytes, sum.Bytes, len(want))
	}
}

func TestEncodingsAndCompression(t *testing.T) {
	base := richConfig(3000)
	plain := deliveryBytes(t, base)
	if !bytes.ContainsAny(plain, "åäöÅÄÖ") {
		t.Fatal("no Swedish letters in the delivery")
	}
	tests := []struct {
		name   string
		modify func(*Config)
		decode func([]byte) ([]byte, error)
	}{
		{"windows-1252", func(c *Config) { c.Encoding = EncodingWindows1252 }, func(b []byte) ([]byte, error) {
			if bytes.Contains(b, []byte("ö")) {
				return nil, errors.New("UTF-8 bytes in a Windows-1252 file")
			}
			return charmap.Windows1252.NewDecoder().Bytes(b)
		}},
		{"utf-8-bom", func(c *Config) { c.Encoding = EncodingUTF8BOM }, func(b []byte) ([]byte, error) {
			rest, ok := bytes.CutPrefix(b, []byte("\xef\xbb\xbf"))
			if !ok {
				return nil, errors.New("no BOM")
			}
			return rest, nil
		}},
		{"gzip", func(c *Config) { c.Gzip = true }, func(b []byte) ([]byte, error) {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil, err
			}
			return io.ReadAll(zr)
		}},
		{"crlf", func(c *Config) { c.CRLF = true }, func(b []byte) ([]byte, error) {
			if bytes.Count(b, []byte("\r\n")) < base.Rows {
				return nil, errors.New("too few CRLF")
			}
			return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.modify(&cfg)
			got, err := tt.decode(deliveryBytes(t, cfg))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, plain) {
				t.Error("decoded delivery differs from the plain UTF-8 one")
			}
		})
	}
}

func deliveryBytes(t *testing.T, cfg Config) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := WriteDelivery(context.Background(), &buf, cfg); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestTruthLinesStrictCSV re-reads a defect-free delivery with a strict
// encoding/csv reader: every record must start on its truth source_line.
func TestTruthLinesStrictCSV(t *testing.T) {
	for _, delim := range []byte{';', ',', '\t', '|'} {
		t.Run(string(delim), func(t *testing.T) {
			cfg := testConfig(20000)
			cfg.DefectRate, cfg.Delimiter, cfg.CRLF = 0, delim, delim == ','
			dir, sum := generate(t, cfg)
			f, _ := os.Open(filepath.Join(dir, "delivery.csv"))
			defer f.Close()
			r := csv.NewReader(f)
			r.Comma = rune(delim)
			r.FieldsPerRecord = numCols
			if _, err := r.Read(); err != nil {
				t.Fatal(err)
			}
			truth := readTruth(t, dir)
			multi := 0
			for i := 0; ; i++ {
				rec, err := r.Read()
				if err == io.EOF {
					if i != len(truth) {
						t.Fatalf("%d records, %d truth rows", i, len(truth))
					}
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				line, _ := r.FieldPos(0)
				if want := truth[i].int("source_line"); int64(line) != want {
					t.Fatalf("record %d starts on line %d, truth says %d", i, line, want)
				}
				if strings.Contains(rec[colStreet], "\n") {
					multi++
				}
			}
			if multi == 0 || sum.Lines <= sum.Rows {
				t.Errorf("no multi-line records to test line counting (%d lines, %d rows)", sum.Lines, sum.Rows)
			}
		})
	}
}

type truthRow map[string]string

func (r truthRow) int(k string) int64 {
	n, err := strconv.ParseInt(r[k], 10, 64)
	if err != nil {
		panic(k + ": " + err.Error())
	}
	return n
}

func (r truthRow) bool(k string) bool { return r[k] == "true" }

func readTruth(t *testing.T, dir string) []truthRow {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "truth.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(all[0], ",") != strings.Join(TruthColumns, ",") {
		t.Fatalf("truth header %v", all[0])
	}
	out := make([]truthRow, 0, len(all)-1)
	for _, rec := range all[1:] {
		m := truthRow{}
		for i, h := range all[0] {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
	return out
}

// callable parses a phone number the way a wash would and reports its
// E.164 form if it is a valid number a person can be called on.
func callable(s string) (e164 string, mobile, ok bool) {
	if strings.TrimSpace(s) == "" {
		return "", false, false
	}
	n, err := phonenumbers.Parse(s, "SE")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false, false
	}
	switch phonenumbers.GetNumberType(n) {
	case phonenumbers.MOBILE:
		return phonenumbers.Format(n, phonenumbers.E164), true, true
	case phonenumbers.FIXED_LINE, phonenumbers.FIXED_LINE_OR_MOBILE:
		return phonenumbers.Format(n, phonenumbers.E164), false, true
	}
	return "", false, false
}
