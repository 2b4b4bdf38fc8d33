package worker

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/worker/registers"
)

// testPhoneKey is a Swedish-only normaliser for tests (the real one is
// worker/rules): digits only, 0046/+46/0 -> 46.
func testPhoneKey(raw string) (uint64, bool) {
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
	case strings.HasPrefix(s, "46"):
	case strings.HasPrefix(s, "0"):
		s = "46" + s[1:]
	default:
		return 0, false
	}
	k, err := strconv.ParseUint(s, 10, 64)
	return k, err == nil && len(s) >= 9
}

func testPNR(raw string) (string, bool) {
	s := strings.NewReplacer("-", "", "+", "").Replace(strings.TrimSpace(raw))
	if len(s) == 12 {
		return s, true
	}
	return "", false
}

func loadRegisters(t testing.TB, files map[string]string) *registers.Set {
	t.Helper()
	dir := t.TempDir()
	for k, v := range files {
		p := filepath.Join(dir, filepath.FromSlash(k))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, err := infra.NewLocalReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	set, err := registers.Load(context.Background(), st, registers.LoadOptions{PhoneKey: testPhoneKey, NormalisePNR: testPNR})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

var stageEnv = Env{RunID: "r1", Company: "Acme AB", AsOf: time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)}

// Suppress then decide: the per-number NIX decision reaches CallableNumber.
func TestSuppressThenDecide(t *testing.T) {
	set := loadRegisters(t, map[string]string{
		"nix/nix-2026-11-01.txt":           "070-100 00 01\n070-100 00 02\n",
		"consents/c-2026-11-01.csv":        "phone,company,consent_date\n0701000002,acme ab,2026-10-01\n",
		"dnc/dnc-2026-11-01.csv":           "type,value\nemail,nej@exempel.se\n",
		"deceased/deceased-2026-11-01.txt": "198112289874\n",
	})
	st, err := NewSuppressStage(set, stageEnv, SuppressOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b := &Batch{Rows: []formats.Row{
		{MobileE164: "+46701000001", PhoneE164: "+4681234567", Street: "Gatan 1", PostalValid: true},
		{MobileE164: "+46701000001"},
		{MobileE164: "+46701000002"},
		{MobileE164: "+46709999999", Email: "nej@exempel.se"},
		{MobileE164: "+46709999999", PNR: "198112289874", PNRValid: true, Street: "Gatan 1", PostalValid: true},
		{Rejected: true, MobileE164: "+46701000001"},
	}}
	for _, s := range []Stage{st, NewDecideStage()} {
		if err := s.Process(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	want := []struct {
		number   string
		mailable bool
		reasons  string
	}{
		{"+4681234567", true, "NIX_BLOCKED"},
		{"", false, "NIX_BLOCKED"},
		{"+46701000002", false, "NIX_CONSENT"},
		{"", false, "INTERNAL_DNC"},
		{"", false, "DECEASED"},
		{"", false, ""},
	}
	for i, w := range want {
		r := b.Rows[i]
		if r.CallableNumber != w.number || r.Mailable != w.mailable || strings.Join(r.Reasons, ",") != w.reasons {
			t.Errorf("row %d: callable %q mailable %v reasons %v; want %q %v %s", i, r.CallableNumber, r.Mailable, r.Reasons, w.number, w.mailable, w.reasons)
		}
	}
	if b.Rows[5].NIXListed != nil {
		t.Error("rejected row marked")
	}
	if b.Rows[0].Robinson != nil || b.Rows[0].Erased != nil {
		t.Error("registers not used are not NULL")
	}
	if got := st.EarliestValidUntil(); got != "2027-01-01" {
		t.Errorf("EarliestValidUntil = %s", got)
	}
	used := 0
	for _, in := range st.Registers() {
		if in.Used {
			used++
		}
	}
	if used != 4 {
		t.Errorf("registers used = %d, want 4", used)
	}
	if _, err := NewSuppressStage(set, Env{}, SuppressOptions{}); err == nil {
		t.Error("no as-of date accepted")
	}
}

// BenchmarkSuppressStage runs the stage over batches of 4096 rows against
// a 3-million-number NIX; a third of the mobiles are listed, half the rows
// have a landline.
func BenchmarkSuppressStage(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	var sb strings.Builder
	listed := make([]uint64, 0, 3_000_000)
	seen := map[uint64]bool{}
	for len(listed) < 3_000_000 {
		k := 46700000000 + r.Uint64N(100000000)
		if !seen[k] {
			seen[k] = true
			listed = append(listed, k)
			sb.WriteString("+" + strconv.FormatUint(k, 10) + "\n")
		}
	}
	set := loadRegisters(b, map[string]string{"nix/nix-2026-11-01.txt": sb.String()})
	st, err := NewSuppressStage(set, stageEnv, SuppressOptions{})
	if err != nil {
		b.Fatal(err)
	}
	batch := &Batch{Rows: make([]formats.Row, 4096)}
	for i := range batch.Rows {
		k := 46700000000 + r.Uint64N(100000000)
		if i%3 == 0 {
			k = listed[r.IntN(len(listed))]
		}
		batch.Rows[i].MobileE164 = fmt.Sprintf("+%d", k)
		if i%2 == 0 {
			batch.Rows[i].PhoneE164 = fmt.Sprintf("+468%07d", r.IntN(10000000))
		}
		batch.Rows[i].Reasons = make([]string, 0, 4)
	}
	ctx := context.Background()
	n := 0
	for b.Loop() {
		for i := range batch.Rows {
			batch.Rows[i].Reasons = batch.Rows[i].Reasons[:0]
		}
		if err := st.Process(ctx, batch); err != nil {
			b.Fatal(err)
		}
		n += len(batch.Rows)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
}
