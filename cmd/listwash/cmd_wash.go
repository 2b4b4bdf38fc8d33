package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/worker"
	"github.com/listwash/listwash/worker/registers"
)

type washFlags struct {
	in, registers, out, supplier, company, asof, mode, profile, country, runID, index, cpuProfile, timings, memLimit string
	force, quiet, jsonOut, verbose                                                                                   bool
	workers, dedupSpillRows                                                                                          int
}

func runWash(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f washFlags
	fs := newFlags("wash", "--in FILE --registers DIR --out DIR [flags]", stderr)
	fs.StringVar(&f.in, "in", "", "supplier file to wash: a path or s3://bucket/key (CSV, TSV, XLSX, optionally gzip)")
	fs.StringVar(&f.registers, "registers", "", "registers folder (nix/, consents/, deceased/...): a path or s3://bucket/prefix; see docs/registers.md")
	fs.StringVar(&f.out, "out", "", "output folder: a path or s3://bucket/prefix; must not hold a committed run")
	fs.StringVar(&f.supplier, "supplier", "", "supplier name for provenance and scorecards (default: the input file's name)")
	fs.StringVar(&f.company, "company", "", "company the list is washed for: NIX consents must name it")
	fs.StringVar(&f.asof, "asof", "", "date the rules are judged at, YYYY-MM-DD (default: today)")
	fs.StringVar(&f.mode, "mode", worker.ModeMark, "mark: keep every row with its marks; wash: also write callable/ and mailable/")
	fs.StringVar(&f.profile, "profile", "", "supplier profile (YAML or JSON): column names, delimiter, encoding, default country")
	fs.StringVar(&f.country, "country", "", "default country for phone numbers without a country code (default SE, or the profile's)")
	fs.StringVar(&f.runID, "run-id", "", "run id (default: generated from the time)")
	fs.StringVar(&f.index, "index", "", "cross-delivery contact index folder: marks rows bought before (keyed hashes only; needs LISTWASH_INDEX_KEY)")
	fs.BoolVar(&f.force, "force", false, "replace a committed run in --out")
	fs.BoolVar(&f.quiet, "quiet", false, "print nothing but errors")
	fs.BoolVar(&f.jsonOut, "json", false, "print the scorecard as JSON instead of the summary table")
	fs.BoolVar(&f.verbose, "verbose", false, "log progress to stderr (no personal data is ever logged)")
	fs.IntVar(&f.workers, "workers", 0, "goroutines per stage (default: number of CPUs)")
	fs.IntVar(&f.dedupSpillRows, "dedup-spill-rows", 0, "rows above which deduplication keeps its state (about 100 bytes a row) in temp files instead of memory (default 0: 2000000; -1: never)")
	fs.StringVar(&f.memLimit, "memory-limit", "768MiB", "soft memory limit for the Go runtime (e.g. 1GiB, 512MiB; 0 for none); GOMEMLIMIT, if set, wins")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile to this file (for `go tool pprof`)")
	fs.StringVar(&f.timings, "timings", "", "write elapsed time and per-stage busy time as JSON to this file (used by listwash bench)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if f.in == "" || f.out == "" {
		fmt.Fprintln(stderr, "listwash wash: --in and --out are required")
		fs.Usage()
		return errUsage
	}
	if f.dedupSpillRows < -1 {
		return fmt.Errorf("--dedup-spill-rows %d: want a number of rows, 0 for the default or -1 for never", f.dedupSpillRows)
	}
	if err := applyMemoryLimit(f.memLimit); err != nil {
		return err
	}
	return wash(ctx, f, stdout, stderr)
}

func wash(ctx context.Context, f washFlags, stdout, stderr io.Writer) error {
	asOf := time.Now().UTC().Truncate(24 * time.Hour)
	if f.asof != "" {
		t, err := time.Parse(time.DateOnly, f.asof)
		if err != nil {
			return fmt.Errorf("--asof %q: want YYYY-MM-DD", f.asof)
		}
		asOf = t
	}
	var profile *formats.Profile
	if f.profile != "" {
		pf, err := os.Open(f.profile)
		if err != nil {
			return fmt.Errorf("--profile: %w", err)
		}
		profile, err = formats.LoadProfile(pf)
		pf.Close()
		if err != nil {
			return fmt.Errorf("--profile %s: %w", f.profile, err)
		}
	}
	country := "SE"
	if profile != nil && profile.DefaultCountry != "" {
		country = profile.DefaultCountry
	}
	if f.country != "" {
		country = strings.ToUpper(f.country)
	}
	inStore, inKey, err := openInput(ctx, f.in)
	if err != nil {
		return err
	}
	out, err := openOutput(ctx, f.out)
	if err != nil {
		return err
	}
	if f.supplier == "" {
		f.supplier = supplierFromName(inKey)
	}
	if f.runID == "" {
		f.runID = newRunID()
	}
	level := slog.LevelWarn
	if f.verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	removeStaleSpill(logger)

	env := worker.Env{RunID: f.runID, Supplier: f.supplier, Company: f.company, AsOf: asOf,
		DefaultCountry: country, SourceFile: path.Base(inKey)}
	setup, err := loadSetup(ctx, f.registers, f.index)
	if err != nil {
		return err
	}
	setup.Dedup.SpillRows = f.dedupSpillRows
	counters := &worker.Counters{}
	var timer *worker.Timer
	if f.timings != "" {
		timer = &worker.Timer{}
	}
	cfg := worker.WashConfig{
		Env: env, In: inStore, InKey: inKey, Out: out, Mode: f.mode, Force: f.force,
		Workers: f.workers, Counters: counters, Logger: logger, CodeVersion: version,
		Open: func(r io.Reader, name string) (formats.Reader, error) {
			return formats.Open(r, formats.Options{Name: name, Profile: profile})
		},
		Setup: setup, Timer: timer,
	}
	size, _ := inStore.Size(ctx, inKey)
	stop := func() {}
	if !f.quiet && !f.jsonOut && isTerminal(stderr) {
		stop = startProgress(stderr, counters, size)
	}
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	res, err := worker.Wash(ctx, cfg)
	stop()
	if err != nil {
		return describeWashError(ctx, err, f)
	}
	if timer != nil {
		if err := writeTimings(f.timings, res, timer); err != nil {
			return err
		}
	}
	switch {
	case f.jsonOut:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res.Scorecard)
	case !f.quiet:
		printSummary(stdout, res, f.out, f.index != "")
	}
	return nil
}

// describeWashError turns the errors a user can fix into one clear line.
func describeWashError(ctx context.Context, err error, f washFlags) error {
	switch {
	case errors.Is(err, worker.ErrCommitted):
		return fmt.Errorf("%s already holds a committed run; choose another --out or add --force to replace it", f.out)
	case ctx.Err() != nil:
		return errors.New("interrupted: nothing was committed and partial output was removed")
	}
	return err
}

func supplierFromName(key string) string {
	base := path.Base(key)
	for _, ext := range []string{".gz", ".csv", ".tsv", ".txt", ".xlsx"} {
		base = strings.TrimSuffix(base, ext)
	}
	if base == "" {
		return "unknown"
	}
	return base
}

func newRunID() string {
	var b [4]byte
	rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// startProgress draws a progress bar on a terminal until stop is called.
func startProgress(w io.Writer, c *worker.Counters, size int64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-tick.C:
				fmt.Fprint(w, "\r\033[K"+progressLine(c, size, time.Since(start)))
			}
		}
	}()
	return func() { close(done); <-finished }
}

func progressLine(c *worker.Counters, size int64, elapsed time.Duration) string {
	frac := 0.0
	if size > 0 {
		frac = float64(c.BytesRead.Load()) / float64(size)
	}
	label := "washing"
	switch c.Pass.Load() {
	case 1:
		label, frac = "pass 1/2", frac/2
	case 2:
		label, frac = "pass 2/2", 0.5+frac/2
	}
	frac = min(max(frac, 0), 1)
	const width = 30
	n := int(frac * width)
	rows := c.Records.Load()
	rate := float64(rows) / max(elapsed.Seconds(), 0.001)
	return fmt.Sprintf("%s [%s%s] %3.0f%%  %s rows  %s rows/s", label,
		strings.Repeat("#", n), strings.Repeat(" ", width-n), frac*100, thousands(rows), thousands(int64(rate)))
}

// printSummary prints the scorecard for people. Lines of registers not
// used are left out (the "Not checked" line names them); the seen-before
// lines show only when the wash had a contact index (they count persons,
// shown as a share of rows like every other line).
func printSummary(w io.Writer, res *worker.Result, out string, indexed bool) {
	sc := res.Scorecard
	c := sc.Counts
	fmt.Fprintf(w, "Committed run %s for supplier %q in %s (%s rows/s)\n", sc.RunID, sc.Supplier,
		res.Elapsed.Round(time.Millisecond), thousands(int64(float64(c.Rows)/max(res.Elapsed.Seconds(), 0.001))))
	fmt.Fprintf(w, "Input %s, read as %s %s", sc.Input.Name, sc.Input.Read.Format, sc.Input.Read.Encoding)
	if sc.Input.Read.Delimiter != "" {
		fmt.Fprintf(w, " delimiter %q", sc.Input.Read.Delimiter)
	}
	fmt.Fprintln(w)
	line := func(name string, v int64) {
		pct := 0.0
		if c.Rows > 0 {
			pct = 100 * float64(v) / float64(c.Rows)
		}
		fmt.Fprintf(w, "  %-28s %12s  %6.2f%%\n", name, thousands(v), pct)
	}
	used := func(name string) bool {
		return slices.ContainsFunc(sc.Registers, func(r worker.RegisterInfo) bool { return r.Name == name && r.Used })
	}
	fmt.Fprintf(w, "  %-28s %12s\n", "rows", thousands(c.Rows))
	line("rejected", c.RejectedRows)
	line("repaired", c.RepairedRows)
	line("duplicates", c.DuplicateRows)
	line("  near duplicates", c.NearDuplicateRows)
	line("persons", c.Persons)
	if d := sc.Dedup; indexed && d != nil {
		line("  bought before, same supplier", d.SeenBeforeSameSupplier)
		line("  sold by another supplier", d.SeenBeforeOtherSupplier)
	}
	line("invalid phone", c.InvalidPhoneRows)
	line("no valid phone", c.NoValidPhoneRows)
	line("invalid postal code", c.InvalidPostalRows)
	line("invalid personnummer", c.InvalidPNRRows)
	if used(registers.NIXName) {
		line("NIX-listed", c.NIXListedRows)
		line("  lifted by consent", c.NIXCallableConsentRows)
		line("  blocked", c.NIXBlockedRows)
	}
	for _, l := range []struct {
		register, label string
		n               int64
	}{
		{registers.RobinsonName, "Robinson", c.RobinsonRows},
		{registers.DNCName, "own do-not-call list", c.InternalDNCRows},
		{registers.DeceasedName, "deceased", c.DeceasedRows},
		{registers.ForgetName, "erased (forget list)", c.ErasedRows},
		{registers.AddressesName, "moved (address updated)", c.MovedRows},
	} {
		if used(l.register) {
			line(l.label, l.n)
		}
	}
	line("callable", c.CallableRows)
	line("mailable", c.MailableRows)
	var versions, unused []string
	for _, r := range sc.Registers {
		if r.Used {
			versions = append(versions, r.Name+" "+r.Version)
		} else {
			unused = append(unused, r.Name)
		}
	}
	if len(versions) > 0 {
		fmt.Fprintf(w, "Registers used: %s\n", strings.Join(versions, ", "))
	}
	if len(unused) > 0 {
		fmt.Fprintf(w, "Not checked (no register): %s\n", strings.Join(unused, ", "))
	}
	for _, n := range sc.Notes {
		fmt.Fprintf(w, "Note: %s\n", n)
	}
	if len(sc.UnmappedColumns) > 0 {
		fmt.Fprintf(w, "Columns carried through unmapped (in the extra column): %s\n", strings.Join(sc.UnmappedColumns, ", "))
	}
	fmt.Fprintf(w, "Output: %s (rows/, rejects.csv, scorecard.json, _manifest.json)\n", out)
}

// thousands formats n with thin separators: 1234567 → 1,234,567.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// washTimings is what --timings writes: the bench command's raw figures.
type washTimings struct {
	Rows       int64              `json:"rows"`
	InputBytes int64              `json:"input_bytes"`
	Seconds    float64            `json:"seconds"`
	Stages     []worker.StageTime `json:"stages"`
}

func writeTimings(path string, res *worker.Result, timer *worker.Timer) error {
	data, err := json.MarshalIndent(washTimings{
		Rows: res.Scorecard.Counts.Rows, InputBytes: res.Scorecard.Input.Size,
		Seconds: res.Elapsed.Seconds(), Stages: timer.Times(),
	}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// applyMemoryLimit sets the Go runtime's soft memory limit: the garbage
// collector works harder as the heap nears it, which keeps the peak RSS of a
// large wash (dedup state) close to the live heap instead of twice it. It is
// soft: a wash that needs more still runs. GOMEMLIMIT in the environment
// wins.
func applyMemoryLimit(s string) error {
	if os.Getenv("GOMEMLIMIT") != "" || s == "" || s == "0" {
		return nil
	}
	n, err := parseBytes(s)
	if err != nil || n <= 0 {
		return fmt.Errorf("--memory-limit %q: want a size such as 1GiB or 512MiB", s)
	}
	debug.SetMemoryLimit(n)
	return nil
}

// parseBytes reads "1GiB", "512MiB", "2G", "1048576".
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
			return int64(v * float64(u.mult)), err
		}
	}
	return strconv.ParseInt(s, 10, 64)
}
