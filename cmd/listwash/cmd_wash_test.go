package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/listwash/listwash/worker"
)

// runCLI runs the binary's entry point in-process.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

const header = "Förnamn;Efternamn;Utdelningsadress;Postnummer;Postort;Telefon;Mobil;E-post;Personnummer\n"

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func gz(data []byte, truncate int) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	out := b.Bytes()
	if truncate > 0 {
		out = out[:len(out)-truncate]
	}
	return out
}

func TestWashBadInputs(t *testing.T) {
	many := strings.Repeat("Anna;Berg;Storgatan 1;111 22;Stockholm;08-1234567;070-1234567;a@b.se;198211059954\n", 3000)
	cases := []struct {
		name      string
		file      []byte
		args      []string
		wantCode  int
		wantInErr string // in stderr, which must be one line
		committed bool
		rejected  int64
	}{
		{name: "empty file", file: nil, wantCode: 1, wantInErr: "no data rows"},
		{name: "header only", file: []byte(header), wantCode: 1, wantInErr: "no data rows"},
		{name: "binary", file: append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte{0, 1, 2, 3}, 100)...), wantCode: 1, wantInErr: "unsupported"},
		{name: "truncated gzip", file: gz([]byte(header+many), 40), wantCode: 1, wantInErr: "gzip"},
		{name: "unbalanced quotes", file: []byte(header + "\"Anna;Berg;Storgatan 1;111 22;Stockholm;;070-1234567;;\nBo;Ek;Gata 2;222 33;Lund;;;;\n"),
			wantCode: 0, committed: true},
		{name: "1 MB line", file: []byte(header + "Anna;" + strings.Repeat("x", 1<<20+10) + "\nBo;Ek;Gata 2;222 33;Lund;;;;\n"),
			wantCode: 0, committed: true, rejected: 1},
		{name: "missing registers folder", file: []byte(header + "Bo;Ek;Gata 2;222 33;Lund;;;;\n"),
			args: []string{"--registers", "/nonexistent/registers"}, wantCode: 1, wantInErr: "--registers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := writeFile(t, dir, "delivery.csv", tc.file)
			out := filepath.Join(dir, "out")
			args := append([]string{"wash", "--in", in, "--out", out, "--quiet"}, tc.args...)
			code, _, stderr := runCLI(t, args...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.wantCode, stderr)
			}
			if tc.wantInErr != "" {
				if !strings.Contains(stderr, tc.wantInErr) {
					t.Fatalf("stderr %q does not mention %q", stderr, tc.wantInErr)
				}
				if n := strings.Count(strings.TrimSpace(stderr), "\n"); n != 0 {
					t.Fatalf("error is %d lines, want one: %q", n+1, stderr)
				}
				if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
					t.Fatalf("stack trace for bad input: %s", stderr)
				}
			}
			_, err := os.Stat(filepath.Join(out, worker.ManifestKey))
			if tc.committed != (err == nil) {
				t.Fatalf("manifest present=%v, want %v", err == nil, tc.committed)
			}
			if !tc.committed {
				entries, _ := os.ReadDir(filepath.Join(out, "rows"))
				if len(entries) > 0 {
					t.Fatalf("failed run left %d files in rows/", len(entries))
				}
				return
			}
			var sc worker.Scorecard
			data, _ := os.ReadFile(filepath.Join(out, worker.ScorecardKey))
			if err := json.Unmarshal(data, &sc); err != nil {
				t.Fatal(err)
			}
			if sc.Counts.Rows != 2 || sc.Counts.RejectedRows != tc.rejected {
				t.Fatalf("rows %d rejected %d, want 2 and %d", sc.Counts.Rows, sc.Counts.RejectedRows, tc.rejected)
			}
		})
	}
}

func TestWashUsageErrors(t *testing.T) {
	if code, _, stderr := runCLI(t, "wash"); code != 2 || !strings.Contains(stderr, "--in and --out are required") {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
	if code, _, _ := runCLI(t, "wash", "--help"); code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	if code, _, stderr := runCLI(t, "nosuch"); code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
	dir := t.TempDir()
	in := writeFile(t, dir, "d.csv", []byte(header+"Bo;Ek;Gata 2;222 33;Lund;;;;\n"))
	if code, _, stderr := runCLI(t, "wash", "--in", in, "--out", filepath.Join(dir, "o"), "--asof", "2026-13-01"); code != 1 || !strings.Contains(stderr, "YYYY-MM-DD") {
		t.Fatalf("bad --asof: exit %d stderr %q", code, stderr)
	}
}

func TestWashRefusesCommittedOutput(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "d.csv", []byte(header+"Bo;Ek;Gata 2;222 33;Lund;;;;\n"))
	out := filepath.Join(dir, "o")
	if code, _, stderr := runCLI(t, "wash", "--in", in, "--out", out, "--quiet"); code != 0 {
		t.Fatalf("first run: %s", stderr)
	}
	code, _, stderr := runCLI(t, "wash", "--in", in, "--out", out, "--quiet")
	if code != 1 || !strings.Contains(stderr, "--force") {
		t.Fatalf("second run: exit %d %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "wash", "--in", in, "--out", out, "--quiet", "--force"); code != 0 {
		t.Fatalf("forced run: %s", stderr)
	}
}

// A supplier profile maps headers no synonym knows and sets the default
// country: Polish mobiles written without +48 become valid numbers.
func TestWashWithProfile(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "d.csv", []byte("Kol1|Kol2|Kol3|Kol4\nJan|Nowak|512 345 678|x\nAnna|Kowalska|600-700-800|y\n"))
	prof := writeFile(t, dir, "p.yaml", []byte("name: pl-vendor\ndelimiter: \"|\"\ndefault_country: pl\ncolumns:\n  Kol1: first_name\n  Kol2: last_name\n  Kol3: mobile\n  Kol4: \"-\"\n"))
	code, stdout, stderr := runCLI(t, "wash", "--in", in, "--out", filepath.Join(dir, "o"), "--profile", prof, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sc worker.Scorecard
	if err := json.Unmarshal([]byte(stdout), &sc); err != nil {
		t.Fatal(err)
	}
	if sc.Counts.Rows != 2 || sc.Counts.NoValidPhoneRows != 0 || sc.Counts.InvalidPhoneRows != 0 {
		t.Fatalf("counts %+v: both Polish mobiles should be valid", sc.Counts)
	}
	if len(sc.UnmappedColumns) != 0 {
		t.Fatalf("unmapped %v: the profile ignores Kol4 explicitly", sc.UnmappedColumns)
	}
	code, _, stderr = runCLI(t, "wash", "--in", in, "--out", filepath.Join(dir, "o2"), "--profile", writeFile(t, dir, "bad.yaml", []byte("columns:\n  Kol1: shoe_size\n")))
	if code != 1 || !strings.Contains(stderr, "--profile") || !strings.Contains(stderr, "shoe_size") {
		t.Fatalf("bad profile: exit %d %q", code, stderr)
	}
}

// --dedup-spill-rows moves deduplication's state to temp files early; the
// verbose log says whether it did, and the counts do not change.
func TestWashDedupSpillRows(t *testing.T) {
	dir := t.TempDir()
	rows := header +
		"Bo;Ek;Gata 2;222 33;Lund;;070-123 45 67;;\n" +
		"Bo;Ek;Gata 2;222 33;Lund;;070-123 45 67;;\n" +
		"Bo;Eek;Gata 2;222 33;Lund;;+46 70 123 45 67;;\n" +
		"Eva;Lind;Väg 9;111 22;Stockholm;;073-555 12 34;;\n"
	in := writeFile(t, dir, "d.csv", []byte(rows))
	var counts []worker.Counts
	for i, c := range []struct{ flag, log string }{{"0", "spilled=false"}, {"1", "spilled=true"}, {"-1", "spilled=false"}} {
		code, stdout, stderr := runCLI(t, "wash", "--in", in, "--out", filepath.Join(dir, fmt.Sprint("o", i)),
			"--dedup-spill-rows", c.flag, "--json", "--verbose")
		if code != 0 {
			t.Fatalf("--dedup-spill-rows %s: exit %d: %s", c.flag, code, stderr)
		}
		if !strings.Contains(stderr, `msg="dedup planned"`) || !strings.Contains(stderr, c.log) {
			t.Fatalf("--dedup-spill-rows %s: log has no dedup line with %s:\n%s", c.flag, c.log, stderr)
		}
		var sc worker.Scorecard
		if err := json.Unmarshal([]byte(stdout), &sc); err != nil {
			t.Fatal(err)
		}
		counts = append(counts, sc.Counts)
	}
	if counts[0].DuplicateRows != 2 || counts[0].NearDuplicateRows != 1 || counts[1] != counts[0] || counts[2] != counts[0] {
		t.Fatalf("counts in memory %+v, spilled %+v, never spilling %+v: want equal, with 1 exact and 1 near duplicate",
			counts[0], counts[1], counts[2])
	}
	code, _, stderr := runCLI(t, "wash", "--in", in, "--out", filepath.Join(dir, "bad"), "--dedup-spill-rows", "-2")
	if code == 0 || !strings.Contains(stderr, "--dedup-spill-rows -2") {
		t.Fatalf("--dedup-spill-rows -2: exit %d %q", code, stderr)
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"1GiB": 1 << 30, "512MiB": 512 << 20, "2G": 2 << 30, "1048576": 1 << 20, "1.5GiB": 3 << 29} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("%s: %d %v, want %d", in, got, err, want)
		}
	}
	if _, err := parseBytes("lots"); err == nil {
		t.Error("lots: no error")
	}
}

// The summary printed for people shows the scorecard's numbers, lines for
// the registers used only, and seen-before lines when there is an index.
func TestWashSummary(t *testing.T) {
	t.Setenv("LISTWASH_INDEX_KEY", "a test secret of sixteen bytes or more")
	dir := t.TempDir()
	in := filepath.Join("..", "..", "testdata", "demo", "delivery.csv")
	regs := filepath.Join("..", "..", "testdata", "demo", "registers")
	index := filepath.Join(dir, "index")
	for i, supplier := range []string{"first", "first"} {
		out := filepath.Join(dir, fmt.Sprint("o", i))
		code, stdout, stderr := runCLI(t, "wash", "--in", in, "--registers", regs, "--out", out, "--index", index,
			"--supplier", supplier, "--company", "Acme AB", "--asof", "2026-11-01")
		if code != 0 {
			t.Fatalf("wash %d: exit %d: %s", i, code, stderr)
		}
		data, err := os.ReadFile(filepath.Join(out, "scorecard.json"))
		if err != nil {
			t.Fatal(err)
		}
		var sc worker.Scorecard
		if err := json.Unmarshal(data, &sc); err != nil {
			t.Fatal(err)
		}
		if !sc.Dedup.ContactIndex {
			t.Errorf("wash %d with --index: scorecard dedup.contact_index false", i)
		}
		c := sc.Counts
		want := map[string]int64{
			"rows": c.Rows, "duplicates": c.DuplicateRows, "near duplicates": c.NearDuplicateRows, "persons": c.Persons,
			"NIX-listed": c.NIXListedRows, "lifted by consent": c.NIXCallableConsentRows, "blocked": c.NIXBlockedRows,
			"Robinson": c.RobinsonRows, "own do-not-call list": c.InternalDNCRows, "deceased": c.DeceasedRows,
			"callable": c.CallableRows, "mailable": c.MailableRows,
			"bought before, same supplier": sc.Dedup.SeenBeforeSameSupplier,
			"sold by another supplier":     sc.Dedup.SeenBeforeOtherSupplier,
		}
		got := map[string]string{}
		for _, l := range strings.Split(stdout, "\n") {
			f := strings.Fields(strings.TrimSpace(l))
			for k := len(f); k > 0; k-- { // label, count, maybe percent
				if n := strings.ReplaceAll(f[k-1], ",", ""); n != "" && strings.Trim(n, "0123456789") == "" {
					got[strings.Join(f[:k-1], " ")] = n
					break
				}
			}
		}
		for label, n := range want {
			if got[label] != fmt.Sprint(n) {
				t.Errorf("wash %d: summary line %q = %q, want %d\n%s", i, label, got[label], n, stdout)
			}
		}
		if _, ok := got["erased (forget list)"]; ok {
			t.Errorf("wash %d: an erased line without a forget list:\n%s", i, stdout)
		}
		if i == 1 && (sc.Dedup.SeenBeforeSameSupplier != c.Persons || sc.Dedup.SeenBeforeOtherSupplier != 0) {
			t.Errorf("second wash of the same file: seen before %+v, want all %d persons from the same supplier", sc.Dedup, c.Persons)
		}
	}
}
