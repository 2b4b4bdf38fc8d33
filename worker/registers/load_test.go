package registers

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/infra"
)

func TestLoadFormats(t *testing.T) {
	cases := []struct {
		name    string
		files   map[string]string
		entries int
		version string
		err     error
	}{
		{"gzip", map[string]string{"nix/nix-2026-11-01.txt.gz": "0701000001\n0701000002\n"}, 2, "2026-11-01", nil},
		{"BOM and CRLF", map[string]string{"nix/nix-2026-11-01.txt": "\ufeff0701000001\r\n\r\n0701000002\r\n"}, 2, "2026-11-01", nil},
		{"version from the first line", map[string]string{"nix/export.txt": "# version: 2026-10-05\n0701000001\n"}, 1, "2026-10-05", nil},
		{"no version", map[string]string{"nix/export.txt": "0701000001\n"}, 0, "", ErrFormat},
		{"newest of two versions", map[string]string{"nix/nix-2026-10-01.txt": "0701000001\n", "nix/nix-2026-11-01.txt": "0701000002\n0701000003\n"}, 2, "2026-11-01", nil},
		{"a version split over files", map[string]string{"nix/nix-2026-11-01-a.txt": "0701000001\n", "nix/nix-2026-11-01-b.txt": "0701000002\n"}, 2, "2026-11-01", nil},
		{"duplicates collapse", map[string]string{"nix/nix-2026-11-01.txt": "0701000001\n+46701000001\n"}, 1, "2026-11-01", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set, err := Load(context.Background(), testStore(t, c.files), testOptions())
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err = %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			in := set.Info(NIXName)
			if in.Entries != c.entries || in.Version != c.version {
				t.Errorf("info = %+v", in)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		err   error
	}{
		{"robinson unknown type", map[string]string{"robinson/r-2026-01-01.csv": "type,value\npnr," + pnrA + "\n"}, ErrFormat},
		{"dnc missing column", map[string]string{"dnc/d-2026-01-01.csv": "kind,value\nphone,0701234567\n"}, ErrFormat},
		{"consents no header", map[string]string{"consents/c-2026-01-01.csv": ""}, ErrFormat},
		{"forget bad hash", map[string]string{"forget/f-2026-01-01.csv": "key_id,kind,hmac\nk1,pnr,zz\n"}, ErrFormat},
		{"forget key not configured", map[string]string{"forget/f-2026-01-01.csv": "key_id,kind,hmac\nk1,pnr," + strings.Repeat("ab", 32) + "\n"}, ErrForgetKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(context.Background(), testStore(t, c.files), testOptions())
			if !errors.Is(err, c.err) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			if strings.Contains(err.Error(), pnrA) || strings.Contains(err.Error(), "0701234567") {
				t.Errorf("error holds a value: %v", err)
			}
		})
	}
	// Registers load in parallel; with two broken ones the error is still
	// the first in Names order, every time.
	two := map[string]string{
		"consents/c-2026-01-01.csv": "phone,company\n0701234567,acme\n",
		"dnc/d-2026-01-01.csv":      "kind,value\nphone,0701234567\n",
		"nix/nix-2026-01-01.txt":    strings.Repeat("0701234567\n", 1000),
	}
	for range 20 {
		_, err := Load(context.Background(), testStore(t, two), testOptions())
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "consents/") {
			t.Fatalf("two broken registers: %v, want the consents error", err)
		}
	}
	if _, err := Load(context.Background(), testStore(t, nil), LoadOptions{}); !errors.Is(err, ErrConfig) {
		t.Errorf("no normalisers: %v", err)
	}
}

func writableStore(t testing.TB, files map[string]string) *infra.LocalStore {
	t.Helper()
	rd := testStore(t, files)
	st, err := infra.NewLocalStore(rd.Root())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestSnapshots(t *testing.T) {
	ctx := context.Background()
	st := writableStore(t, map[string]string{
		"nix/nix-2026-10-01.txt": "0701000009\n",
		"nix/nix-2026-11-01.txt": "0701000001\n0701000002\nbad\n",
	})
	// An old snapshot is removed by the build.
	os.MkdirAll(filepath.Join(st.Root(), "nix", SnapshotDir), 0o755)
	os.WriteFile(filepath.Join(st.Root(), "nix", SnapshotDir, "nix-2026-10-01.bin"), []byte("old"), 0o644)

	infos, err := BuildSnapshots(ctx, st, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].Entries != 2 || infos[0].Skipped != 1 || infos[0].Files[0] != "nix/_snapshot/nix-2026-11-01.bin" {
		t.Fatalf("built %+v", infos)
	}
	keys, _ := st.ListKeys(ctx, "nix/_snapshot/")
	if len(keys) != 1 {
		t.Errorf("snapshots left: %v", keys)
	}
	// The snapshot is preferred: a PhoneKey that accepts nothing proves it.
	opts := testOptions()
	opts.PhoneKey = func(string) (uint64, bool) { return 0, false }
	set, err := Load(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	in := set.Info(NIXName)
	if !in.Snapshot || in.Entries != 2 || in.Skipped != 1 || in.Version != "2026-11-01" || !set.NIX.Has(46701000002) || set.NIX.Has(46701000009) {
		t.Errorf("from snapshot: %+v", in)
	}
	// A changed source file makes the snapshot stale: the raw file is parsed.
	os.WriteFile(filepath.Join(st.Root(), "nix", "nix-2026-11-01.txt"), []byte("0701000001\n0701000002\n0701000003\n"), 0o644)
	set, err = Load(ctx, st, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if in := set.Info(NIXName); in.Snapshot || in.Entries != 3 {
		t.Errorf("stale snapshot used: %+v", in)
	}
	// A corrupt snapshot fails the load rather than washing against half a NIX.
	BuildSnapshots(ctx, st, testOptions())
	p := filepath.Join(st.Root(), "nix", SnapshotDir, "nix-2026-11-01.bin")
	b, _ := os.ReadFile(p)
	b[len(b)-1] ^= 0xff
	os.WriteFile(p, b, 0o644)
	if _, err := Load(ctx, st, testOptions()); !errors.Is(err, ErrFormat) {
		t.Errorf("corrupt snapshot: %v", err)
	}
}

func TestCacheSharesVersions(t *testing.T) {
	ctx := context.Background()
	st := testStore(t, map[string]string{"nix/nix-2026-11-01.txt": "0701000001\n", "dnc/d-2026-01-01.csv": "type,value\nphone,0701000002\n"})
	var calls int
	var mu sync.Mutex
	opts := testOptions()
	opts.PhoneKey = func(raw string) (uint64, bool) {
		mu.Lock()
		calls++
		mu.Unlock()
		return testPhoneKey(raw)
	}
	opts.Cache = &Cache{}
	var wg sync.WaitGroup
	sets := make([]*Set, 8)
	for i := range sets {
		wg.Go(func() {
			s, err := Load(ctx, st, opts)
			if err != nil {
				t.Error(err)
			}
			sets[i] = s
		})
	}
	wg.Wait()
	if calls != 2 {
		t.Errorf("normaliser called %d times, want 2 (one per register line)", calls)
	}
	for _, s := range sets[1:] {
		if s.NIX != sets[0].NIX || s.DNC != sets[0].DNC {
			t.Error("registers not shared")
		}
	}
	// A new version replaces the old one in the cache.
	os.WriteFile(filepath.Join(st.Root(), "nix", "nix-2026-12-01.txt"), []byte("0701000003\n"), 0o644)
	s, err := Load(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !s.NIX.Has(46701000003) || s.NIX == sets[0].NIX || opts.Cache.Len() != 2 {
		t.Errorf("new version not loaded or old kept: %d entries", opts.Cache.Len())
	}
}

func TestKeySet(t *testing.T) {
	keys := make([]uint64, 10000)
	for i := range keys {
		keys[i] = 46700000000 + uint64(i)*7
	}
	ks := newKeySet(keys)
	if ks.Len() != len(keys) {
		t.Fatalf("Len = %d", ks.Len())
	}
	for i, k := range keys {
		if !ks.Has(k) || ks.Has(k+1) {
			t.Fatalf("key %d", i)
		}
	}
	if ks.Has(0) || (*KeySet)(nil).Has(1) {
		t.Error("zero or nil")
	}
	if s := ks.Sorted(); len(s) != len(keys) || s[0] != keys[0] || s[len(s)-1] != keys[len(keys)-1] {
		t.Error("Sorted")
	}
}

// nixNumbers makes n distinct Swedish mobile numbers as keys.
func nixNumbers(n int) []uint64 {
	r := rand.New(rand.NewPCG(1, 2))
	seen := make(map[uint64]struct{}, n)
	out := make([]uint64, 0, n)
	for len(out) < n {
		k := 46700000000 + r.Uint64N(100000000)
		if _, ok := seen[k]; !ok {
			seen[k] = struct{}{}
			out = append(out, k)
		}
	}
	return out
}

// BenchmarkSnapshotLoad loads a 3-million-number NIX from its snapshot.
func BenchmarkSnapshotLoad(b *testing.B) {
	ctx := context.Background()
	keys := nixNumbers(3_000_000)
	var sb strings.Builder
	sb.Grow(len(keys) * 12)
	for _, k := range keys {
		fmt.Fprintf(&sb, "+%d\n", k)
	}
	st := writableStore(b, map[string]string{"nix/nix-2026-11-01.txt": sb.String()})
	if _, err := BuildSnapshots(ctx, st, testOptions()); err != nil {
		b.Fatal(err)
	}
	opts := testOptions()
	opts.PhoneKey = func(string) (uint64, bool) { b.Fatal("parsed the raw file"); return 0, false }
	b.ResetTimer()
	var set *Set
	cpu0 := cpuTime()
	for b.Loop() {
		var err error
		if set, err = Load(ctx, st, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(set.NIX.Bytes()), "set-bytes")
	b.ReportMetric(float64(set.NIX.Len()), "numbers")
}

// BenchmarkMark marks rows against a 3-million-number NIX: a third of the
// rows' mobiles are listed, half the rows have a landline too.
func BenchmarkMark(b *testing.B) {
	keys := nixNumbers(3_000_000)
	set := &Set{NIX: newKeySet(keys), infos: map[string]Info{NIXName: {Name: NIXName, Used: true, Version: "2026-11-01"}}}
	c, err := set.NewChecker(acme)
	if err != nil {
		b.Fatal(err)
	}
	rows := benchRows(keys, 4096)
	sc := c.NewScratch()
	for _, bc := range []struct {
		name string
		fn   func()
	}{
		{"batch", func() { c.MarkBatch(rows, sc) }},
		{"row", func() {
			for i := range rows {
				c.Mark(&rows[i], sc)
			}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			n := 0
			cpu0 := cpuTime()
			for b.Loop() {
				for i := range rows {
					rows[i].Reasons = rows[i].Reasons[:0]
				}
				bc.fn()
				n += len(rows)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(n)/(cpuTime()-cpu0).Seconds(), "rows/cpu-s")
		})
	}
}

func benchRows(keys []uint64, n int) []formats.Row {
	r := rand.New(rand.NewPCG(3, 4))
	rows := make([]formats.Row, n)
	for i := range rows {
		k := 46700000000 + r.Uint64N(100000000)
		if i%3 == 0 {
			k = keys[r.IntN(len(keys))]
		}
		rows[i].MobileE164 = fmt.Sprintf("+%d", k)
		if i%2 == 0 {
			rows[i].PhoneE164 = fmt.Sprintf("+468%07d", r.IntN(10000000))
		}
		rows[i].Reasons = make([]string, 0, 4)
	}
	return rows
}

// cpuTime is the process's user+system CPU time: throughput per CPU second
// is steadier than per wall second on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
