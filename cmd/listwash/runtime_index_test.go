package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/jobs"
	"github.com/listwash/listwash/worker"
	"github.com/listwash/listwash/worker/gen"
)

// TestRuntimeContactIndex: a worker with LISTWASH_INDEX_KEY marks the rows
// of a new delivery that earlier committed deliveries held. Delivery A
// (acme) commits; B (bolaget) repeats 30% of A's people and reports them
// as seen before at acme, on the scorecard and on exactly those rows; the
// index objects hold no cleartext. C (cirkus) holds all of A's people and
// fails at its manifest, the commit: it adds nothing to the index, so D
// (dansk), the 70% of A's people that B did not repeat, is seen before at
// acme only.
func TestRuntimeContactIndex(t *testing.T) {
	t.Setenv("LISTWASH_INDEX_KEY", "6f1c2a9e4b7d3f08a5e2c1d4b6f8a0e3c7d9b2f4a6e8c0d1f3b5a7c9e2d4f6a8")
	t.Setenv("LISTWASH_INDEX_KEY_ID", "")
	s := newStack(t, -1)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	header, aLines := genLines(t, 2000, 1, today)
	_, newLines := genLines(t, 1400, 2, today)
	var bLines, dLines []string
	for i, l := range aLines {
		if i%10 < 3 {
			bLines = append(bLines, l)
		} else {
			dLines = append(dLines, l)
		}
	}
	bLines = append(bLines, newLines...)

	// A: the first delivery; nothing is seen before.
	aRun, aSC, aRows := s.washCommitted(t, "acme", "a.csv", csvOf(header, aLines))
	if aSC.Dedup == nil || aSC.Dedup.SeenBeforeSameSupplier+aSC.Dedup.SeenBeforeOtherSupplier != 0 {
		t.Fatalf("A: dedup %+v, want nothing seen before", aSC.Dedup)
	}
	for _, r := range aRows {
		if r.SeenBefore != "" {
			t.Fatalf("A line %d seen before at %q in an empty index", r.SourceLine, r.SeenBefore)
		}
	}
	aLabel := "acme/" + aRun + "/" + aSC.AsOf
	aIDs := identifiers(aRows)
	segs := s.indexKeys(t)
	if len(segs) != 1 || !strings.Contains(segs[0], aRun) {
		t.Fatalf("index after A: %v, want one segment of run %s", segs, aRun)
	}

	// B: 30% of A's people plus new ones.
	_, bSC, bRows := s.washCommitted(t, "bolaget", "b.csv", csvOf(header, bLines))
	seen := checkSeenBefore(t, "B", bRows, aIDs, aLabel)
	d := bSC.Dedup
	if d == nil || d.Persons == 0 {
		t.Fatalf("B: dedup %+v", d)
	}
	if share := float64(d.SeenBeforeOtherSupplier) / float64(d.Persons); d.SeenBeforeOtherSupplier != seen ||
		share < 0.29 || share > 0.31 || d.SeenBeforeSameSupplier != 0 ||
		len(d.OverlapBySupplier) != 1 || d.OverlapBySupplier["acme"] != seen {
		t.Fatalf("B: dedup %+v, want %d of %d persons (30%%) seen before at acme only", d, seen, d.Persons)
	}
	t.Logf("B: %d of %d persons seen before at acme", d.SeenBeforeOtherSupplier, d.Persons)
	s.checkNoCleartext(t, aRows)

	// C: A's people again; every row is washed and marked, and the run
	// fails when it commits its manifest.
	cRec := s.washFailing(t, "cirkus", "c.csv", csvOf(header, aLines))
	if !strings.Contains(cRec.Reason, "manifest") {
		t.Fatalf("C failed with %q, want a failure at the manifest (after every row was marked)", cRec.Reason)
	}
	if segs := s.indexKeys(t); len(segs) != 2 || slices.ContainsFunc(segs, func(k string) bool {
		return strings.Contains(k, cRec.RunID)
	}) {
		t.Fatalf("index after the failed run C: %v, want the segments of A and B only", segs)
	}

	// D: A's people that B did not repeat; seen before at acme only.
	_, dSC, dRows := s.washCommitted(t, "dansk", "d.csv", csvOf(header, dLines))
	seen = checkSeenBefore(t, "D", dRows, aIDs, aLabel)
	d = dSC.Dedup
	if d == nil || seen != d.Persons || d.SeenBeforeOtherSupplier != seen || d.SeenBeforeSameSupplier != 0 ||
		len(d.OverlapBySupplier) != 1 || d.OverlapBySupplier["acme"] != seen {
		t.Fatalf("D: dedup %+v, want all %d persons seen before at acme only (not cirkus)", d, seen)
	}
	if segs := s.indexKeys(t); len(segs) != 3 {
		t.Fatalf("index after D: %v, want the segments of A, B and D", segs)
	}
	s.checkNoCleartext(t, aRows)
}

// genLines generates a delivery without defects or duplicates and returns
// its header and its records (a quoted field may hold a line break).
func genLines(t *testing.T, rows int, seed uint64, asOf time.Time) (string, []string) {
	t.Helper()
	var buf bytes.Buffer
	gc := gen.Config{Rows: rows, Seed: seed, AsOf: asOf, Company: "Acme AB"}
	if _, err := gen.WriteDelivery(context.Background(), &buf, gc); err != nil {
		t.Fatal(err)
	}
	var lines []string
	start, quoted := 0, false
	for i, c := range buf.Bytes() {
		switch {
		case c == '"':
			quoted = !quoted // "" inside a quoted field toggles twice
		case c == '\n' && !quoted:
			lines = append(lines, buf.String()[start:i])
			start = i + 1
		}
	}
	if len(lines) != rows+1 || start != buf.Len() {
		t.Fatalf("split %d records for %d rows", len(lines), rows)
	}
	return lines[0], lines[1:]
}

func csvOf(header string, lines []string) []byte {
	return []byte(header + "\n" + strings.Join(lines, "\n") + "\n")
}

// washCommitted puts a delivery into the supplier's inbox, posts its event
// and returns the committed run's id, scorecard and rows.
func (s *stack) washCommitted(t *testing.T, supplier, name string, data []byte) (string, worker.Scorecard, map[int64]formats.Row) {
	t.Helper()
	key := "inbox/" + supplier + "/" + name
	etag := s.put(t, key, data)
	s.post(t, s.event(key, etag, len(data)))
	runID := worker.RunID(s.cfg.BucketURL(), key, etag)
	if rec := s.waitFinal(t, runID, 20*time.Second); rec.Status != worker.StatusCommitted {
		t.Fatalf("%s: ledger %+v", key, rec)
	}
	run := infra.WithPrefix(s.bucket, s.cfg.Prefixes.Washed+supplier+"/"+runID+"/")
	var m worker.Manifest
	mustJSON(t, run, worker.ManifestKey, &m)
	var sc worker.Scorecard
	for _, f := range m.Files {
		if strings.HasSuffix(f.Key, worker.ScorecardKey) {
			mustJSON(t, run, f.Key, &sc)
		}
	}
	rows := bucketRows(t, run, m.Files)
	if int64(len(rows)) != m.Counts.Rows || sc.RunID != runID {
		t.Fatalf("%s: %d rows read, manifest counts %d, scorecard of run %q", key, len(rows), m.Counts.Rows, sc.RunID)
	}
	return runID, sc, rows
}

// washFailing puts a delivery into the supplier's inbox and enqueues its
// wash (no retries) into a local output folder where the manifest is a
// folder: the wash reads as no run committed, washes every row, writes
// its files and fails at the last step, the manifest. It returns the
// failed run's ledger record.
func (s *stack) washFailing(t *testing.T, supplier, name string, data []byte) worker.LedgerRecord {
	t.Helper()
	key := "inbox/" + supplier + "/" + name
	etag := s.put(t, key, data)
	p := jobs.WashFile{RunID: worker.RunID(s.cfg.BucketURL(), key, etag), Supplier: supplier,
		Input:   jobs.Ref{Store: s.cfg.BucketURL(), Key: key, Version: etag, Size: int64(len(data))},
		Output:  "file://" + filepath.Join(t.TempDir(), "washed"),
		Options: jobs.Options{Mode: jobs.ModeMark, AsOf: time.Now().UTC().Format(jobs.AsOfLayout), Company: "Acme AB"}}
	dir := strings.TrimPrefix(worker.OutputURL(p), "file://")
	if err := os.MkdirAll(filepath.Join(dir, worker.ManifestKey), 0o755); err != nil {
		t.Fatal(err)
	}
	s.enqueue(t, p)
	rec := s.waitFinal(t, p.RunID, 20*time.Second)
	if rec.Status != worker.StatusFailed {
		t.Fatalf("%s: ledger %+v, want failed", key, rec)
	}
	return rec
}

// identifiers are the strong identifiers the index keys, as the committed
// rows carry them: valid personnummer, phone numbers, valid e-mail.
func identifiers(rows map[int64]formats.Row) map[string]bool {
	ids := map[string]bool{}
	for _, r := range rows {
		for _, id := range rowIdentifiers(r) {
			ids[id] = true
		}
	}
	return ids
}

func rowIdentifiers(r formats.Row) []string {
	if r.Rejected {
		return nil
	}
	var ids []string
	if r.PNRValid && r.PNR != "" {
		ids = append(ids, "p:"+r.PNR)
	}
	for _, p := range append([]string{r.MobileE164, r.PhoneE164}, r.Phones...) {
		if p != "" {
			ids = append(ids, "t:"+p)
		}
	}
	if r.EmailValid && r.Email != "" {
		ids = append(ids, "e:"+strings.ToLower(r.Email))
	}
	return ids
}

// checkSeenBefore checks that exactly the rows sharing an identifier with
// A carry A's label, and returns how many of them are persons (not
// rejected, not duplicates).
func checkSeenBefore(t *testing.T, name string, rows map[int64]formats.Row, aIDs map[string]bool, aLabel string) int64 {
	t.Helper()
	var persons int64
	for line, r := range rows {
		want := ""
		if slices.ContainsFunc(rowIdentifiers(r), func(id string) bool { return aIDs[id] }) {
			want = aLabel
			if r.DuplicateOf == 0 {
				persons++
			}
		}
		if r.SeenBefore != want {
			t.Fatalf("%s line %d: seen_before %q, want %q", name, line, r.SeenBefore, want)
		}
	}
	return persons
}

// indexKeys lists the objects under the index prefix.
func (s *stack) indexKeys(t *testing.T) []string {
	t.Helper()
	keys, err := s.bucket.ListKeys(context.Background(), s.cfg.Prefixes.Index)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// checkNoCleartext reads every index object and looks for the rows'
// names, phone numbers (E.164, without the plus, national), e-mails and
// personnummer (12 and 10 digits) in its bytes. Values shorter than 5
// bytes are skipped: they would turn up in random key bytes by chance.
func (s *stack) checkNoCleartext(t *testing.T, rows map[int64]formats.Row) {
	t.Helper()
	var objects [][]byte
	for _, k := range s.indexKeys(t) {
		objects = append(objects, readObject(t, s.bucket, k))
	}
	if len(objects) == 0 {
		t.Fatal("no index objects")
	}
	checked := 0
	for line, r := range rows {
		vals := []string{r.FirstName, r.LastName, r.FirstName + " " + r.LastName, r.FirstNameRaw, r.LastNameRaw,
			r.Email, r.EmailRaw, r.PNR, r.PNRRaw, r.PhoneRaw, r.MobileRaw, r.Street, r.StreetRaw}
		if len(r.PNR) == 12 {
			vals = append(vals, r.PNR[2:])
		}
		for _, p := range append([]string{r.MobileE164, r.PhoneE164}, r.Phones...) {
			if p != "" {
				vals = append(vals, p, p[1:], "0"+strings.TrimPrefix(p, "+46"))
			}
		}
		for _, v := range vals {
			if len(v) < 5 {
				continue
			}
			checked++
			for _, b := range objects {
				if bytes.Contains(b, []byte(v)) {
					t.Fatalf("an index object holds a value of A's line %d in clear text", line)
				}
			}
		}
	}
	if checked < len(rows) {
		t.Fatalf("only %d values checked for %d rows", checked, len(rows))
	}
}
