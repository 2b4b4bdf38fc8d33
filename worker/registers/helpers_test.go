package registers

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/infra"
)

// testPhoneKey is a small Swedish-only normaliser for tests: strip
// everything but digits, "(0)" after the country code, 0046/+46/0 -> 46.
func testPhoneKey(raw string) (uint64, bool) {
	raw = strings.ReplaceAll(raw, "(0)", "")
	var d []byte
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c >= '0' && c <= '9' {
			d = append(d, c)
		}
	}
	s := string(d)
	switch {
	case strings.HasPrefix(s, "0046"):
		s = s[2:]
	case strings.HasPrefix(s, "46") && (strings.HasPrefix(strings.TrimSpace(raw), "+") || len(s) >= 11):
	case strings.HasPrefix(s, "0"):
		s = "46" + s[1:]
	default:
		return 0, false
	}
	if len(s) < 9 || len(s) > 12 || s[2] == '0' {
		return 0, false
	}
	k, err := strconv.ParseUint(s, 10, 64)
	return k, err == nil
}

// testPNR normalises 10- or 12-digit personnummer with a Luhn check.
func testPNR(raw string) (string, bool) {
	var d []byte
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c >= '0' && c <= '9' {
			d = append(d, c)
		}
	}
	s := string(d)
	switch len(s) {
	case 10:
		if s[:2] <= "26" {
			s = "20" + s
		} else {
			s = "19" + s
		}
	case 12:
	default:
		return "", false
	}
	if _, err := time.Parse("20060102", s[:8]); err != nil {
		return "", false
	}
	sum := 0
	for i, c := range s[2:11] {
		v := int(c - '0')
		if i%2 == 0 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	if (10-sum%10)%10 != int(s[11]-'0') {
		return "", false
	}
	return s, true
}

func testOptions() LoadOptions {
	return LoadOptions{PhoneKey: testPhoneKey, NormalisePNR: testPNR}
}

// testStore writes files (key -> content; keys ending in .gz are
// compressed) into a fresh local store.
func testStore(t testing.TB, files map[string]string) *infra.LocalStore {
	t.Helper()
	dir := t.TempDir()
	for k, v := range files {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		data := []byte(v)
		if strings.HasSuffix(k, ".gz") {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write(data)
			zw.Close()
			data = b.Bytes()
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, err := infra.NewLocalReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func mustLoad(t testing.TB, files map[string]string, opts LoadOptions) *Set {
	t.Helper()
	set, err := Load(context.Background(), testStore(t, files), opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return set
}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func mark(t testing.TB, set *Set, p Policy, r *formats.Row) {
	t.Helper()
	c, err := set.NewChecker(p)
	if err != nil {
		t.Fatal(err)
	}
	c.Mark(r, c.NewScratch())
}

func boolStr(b *bool) string {
	if b == nil {
		return "null"
	}
	return strconv.FormatBool(*b)
}

func strPtr(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

// Valid test personnummer (Luhn-correct).
const (
	pnrA = "198112289874"
	pnrB = "199001012385"
	pnrC = "197001010003"
)

func TestTestNormalisers(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"070-123 45 67", 46701234567, true},
		{"+46 (0)70-123 45 67", 46701234567, true},
		{"0046701234567", 46701234567, true},
		{"46701234567", 46701234567, true},
		{"08-123 456 78", 46812345678, true},
		{"hello", 0, false},
	} {
		if k, ok := testPhoneKey(c.in); k != c.want || ok != c.ok {
			t.Errorf("testPhoneKey(%q) = %d, %v", c.in, k, ok)
		}
	}
	for _, p := range []string{pnrA, pnrB, pnrC} {
		if _, ok := testPNR(p); !ok {
			t.Errorf("%s should be valid", p)
		}
	}
	if _, ok := testPNR("198112289875"); ok {
		t.Error("bad check digit accepted")
	}
}
