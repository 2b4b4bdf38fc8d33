package worker

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/worker/gen"
	"github.com/listwash/listwash/worker/registers"
)

// suppressBenchRows is how many generated rows BenchmarkSuppressGenerated
// marks per iteration (16 batches of 4096: more than the caches hold, as
// in a real run).
const suppressBenchRows = 16 * 4096

// suppressBenchPersons is how many rows are generated: the registers (DNC,
// deceased, consents, customers) grow with it, to the sizes of a 1M-row
// delivery's; only the first suppressBenchRows are marked.
const suppressBenchPersons = 1_000_000

// BenchmarkSuppressGenerated times the suppress stage alone on a generated
// delivery, parsed and normalised once outside the timer, against the
// generated registers with a NIX of about 3 million numbers (snapshot):
//
//   - gen: the registers the generator writes (NIX, consents, customers,
//     Robinson, do-not-call, deceased): the 10M-row acceptance wash.
//   - all: those plus a forget list under two keys (1000 entries each) and
//     an address reference holding a tenth of the rows' persons.
//
// Run with -cpu 1; ns/row is per marked row, cpu-ns/row the process's
// CPU time per row (steadier on a shared machine).
func BenchmarkSuppressGenerated(b *testing.B) {
	ctx := context.Background()
	f := newSuppressFixture(b)
	env, batches := f.env, f.batches
	for _, bc := range []struct {
		name string
		set  *registers.Set
	}{{"gen", f.gen}, {"all", f.all}} {
		b.Run(bc.name, func(b *testing.B) {
			st, err := NewSuppressStage(bc.set, env, SuppressOptions{})
			if err != nil {
				b.Fatal(err)
			}
			reasons := make([][]int, len(batches))
			for i, bt := range batches {
				reasons[i] = make([]int, len(bt.Rows))
				for j := range bt.Rows {
					reasons[i][j] = len(bt.Rows[j].Reasons)
				}
			}
			var n, sink int
			var wall, cpu time.Duration
			for b.Loop() {
				for i, bt := range batches {
					for j := range bt.Rows {
						bt.Rows[j].Reasons = bt.Rows[j].Reasons[:reasons[i][j]]
					}
					sink += warmRows(bt.Rows)
					w0, c0 := time.Now(), processCPU()
					if err := st.Process(ctx, bt); err != nil {
						b.Fatal(err)
					}
					wall += time.Since(w0)
					cpu += processCPU() - c0
					n += len(bt.Rows)
				}
			}
			b.ReportMetric(float64(wall.Nanoseconds())/float64(n), "ns/row")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/row")
			if sink == 42 {
				b.Log("")
			}
		})
	}
}

// suppressFixture is a generated delivery, parsed and normalised, and two
// register sets over it (see BenchmarkSuppressGenerated).
type suppressFixture struct {
	env      Env
	batches  []*Batch
	gen, all *registers.Set
}

func newSuppressFixture(b testing.TB) *suppressFixture {
	ctx := context.Background()
	dir := b.TempDir()
	asOf := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cfg := gen.DefaultConfig()
	cfg.Rows, cfg.Seed, cfg.AsOf, cfg.Company = suppressBenchPersons, 7, asOf, "Acme AB"
	cfg.NIXSize = 3_000_000 - suppressBenchPersons/5
	if _, err := gen.Generate(ctx, cfg, dir); err != nil {
		b.Fatal(err)
	}
	env := Env{RunID: "r1", Supplier: "gen", Company: "Acme AB", AsOf: asOf, DefaultCountry: "SE", SourceFile: "delivery.csv"}
	batches := benchNormalised(b, filepath.Join(dir, "delivery.csv"), env)
	regDir := filepath.Join(dir, "registers")
	store, err := infra.NewLocalStore(regDir)
	if err != nil {
		b.Fatal(err)
	}
	opts := RegisterOptions("SE")
	t0 := time.Now()
	if _, err := registers.BuildSnapshots(ctx, store, opts); err != nil {
		b.Fatal(err)
	}
	b.Logf("NIX snapshot built in %v", time.Since(t0))
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	t0 = time.Now()
	genSet, err := registers.Load(ctx, store, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("registers loaded in %v (NIX from its snapshot, the rest parsed)", time.Since(t0))
	runtime.GC()
	runtime.ReadMemStats(&m1)
	b.Logf("registers hold %d heap objects, %d heap bytes", int64(m1.HeapObjects)-int64(m0.HeapObjects), int64(m1.HeapAlloc)-int64(m0.HeapAlloc))
	if in := genSet.Info(registers.NIXName); !in.Snapshot || in.Entries < 2_900_000 {
		b.Fatalf("NIX = %+v, want a snapshot of about 3M numbers", in)
	}
	for _, in := range genSet.Versions() {
		b.Logf("%s: %d entries, %d bytes, snapshot %v", in.Name, in.Entries, in.Bytes, in.Snapshot)
	}
	keys := writeBenchExtras(b, regDir, batches, opts)
	allOpts := opts
	allOpts.ForgetKeys = keys
	allSet, err := registers.Load(ctx, store, allOpts)
	if err != nil {
		b.Fatal(err)
	}
	return &suppressFixture{env: env, batches: batches, gen: genSet, all: allSet}
}

// warmRows reads what the suppress stage reads of each row, as the
// normalise stage just before it in the pipeline does: without it, the
// benchmark would time fetching every row from memory.
func warmRows(rows []formats.Row) int {
	n := 0
	str := func(s string) {
		for i := 0; i < len(s); i += 16 {
			n += int(s[i])
		}
	}
	for i := range rows {
		r := &rows[i]
		str(r.PNR)
		str(r.Email)
		str(r.Street)
		str(r.PostalCode)
		str(r.PhoneE164)
		str(r.MobileE164)
		str(r.FirstName)
		str(r.LastName)
		for _, p := range r.Phones {
			str(p)
		}
	}
	return n
}

// benchNormalised reads a delivery into batches of 4096 rows and runs
// parse and normalise over them.
func benchNormalised(b testing.TB, path string, env Env) []*Batch {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rd, err := formats.Open(f, formats.Options{Name: "delivery.csv"})
	if err != nil {
		b.Fatal(err)
	}
	defer rd.Close()
	stages := []Stage{NewParseStage(env, rd.Mapping()), NewNormaliseStage(env, nil)}
	var out []*Batch
	var rec formats.Record
	for done := false; !done && len(out)*4096 < suppressBenchRows; {
		bt := newBatch(4096)
		bt.reset(int64(len(out)))
		for len(bt.Records) < 4096 {
			rec.Reject, rec.Message, rec.Repair, rec.Raw = "", "", "", ""
			if err := rd.Read(&rec); err != nil {
				if !errors.Is(err, io.EOF) {
					b.Fatal(err)
				}
				done = true
				break
			}
			bt.add(&rec)
		}
		if bt.Len() == 0 {
			break
		}
		if err := runStages(context.Background(), stages, bt); err != nil {
			b.Fatal(err)
		}
		out = append(out, bt)
	}
	return out
}

// writeBenchExtras writes a forget list under two keys and an address
// reference from the rows' own values, and returns the keys.
func writeBenchExtras(b testing.TB, regDir string, batches []*Batch, opts registers.LoadOptions) []registers.ForgetKey {
	keys := []registers.ForgetKey{
		{ID: "k1", Key: []byte("0123456789abcdef0123456789abcdef")},
		{ID: "k2", Key: []byte("fedcba9876543210fedcba9876543210")},
	}
	var addr bytes.Buffer
	addr.WriteString("pnr,street,postal_code,city,phones,protected,record_date\n")
	var es [2][]registers.ForgetEntry
	i := 0
	add := func(k int, kind, v string) {
		c, err := registers.ForgetCanonical(kind, v, opts)
		if err != nil {
			return
		}
		es[k] = append(es[k], registers.ForgetEntry{KeyID: keys[k].ID, Kind: kind, Hash: registers.ForgetHash(keys[k], c)})
	}
	for _, bt := range batches {
		for j := range bt.Rows {
			r := &bt.Rows[j]
			i++
			if r.PNRValid && i%10 == 0 {
				street := r.Street
				if i%30 == 0 {
					street = "Nya gatan " + strconv.Itoa(i%97+1)
				}
				addr.WriteString(r.PNR + "," + street + "," + r.PostalCode + ",Staden," + r.MobileE164 + ",false,2026-10-01\n")
			}
			if i%64 == 0 && len(es[i/64%2]) < 1000 {
				k := i / 64 % 2
				switch i / 128 % 3 {
				case 0:
					add(k, registers.KindPNR, r.PNR)
				case 1:
					add(k, registers.KindPhone, r.MobileE164)
				default:
					add(k, registers.KindEmail, r.Email)
				}
			}
		}
	}
	write := func(rel string, data []byte) {
		p := filepath.Join(regDir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	write("addresses/addresses-2026-10-15.csv", addr.Bytes())
	for k := range es {
		var fb bytes.Buffer
		if err := registers.WriteForgetEntries(&fb, es[k]); err != nil {
			b.Fatal(err)
		}
		write("forget/forget-2026-10-0"+strconv.Itoa(k+1)+".csv", fb.Bytes())
	}
	return keys
}
