package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/listwash/listwash/worker/gen"
)

// runBench generates deliveries of the given sizes and washes each in a
// child process, so that peak RSS is the wash's own. It prints rows/s, MB/s,
// peak RSS and each stage's busy time.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "[--rows 1000000,10000000] [--dir DIR]", stderr)
	rowsFlag := fs.String("rows", "1000000,10000000", "comma-separated delivery sizes to wash")
	dir := fs.String("dir", filepath.Join(os.TempDir(), "listwash-bench"), "where deliveries are generated and washed (reused if present)")
	nixSize := fs.Int("nix-size", 3_000_000, "extra numbers on the generated NIX register")
	seed := fs.Uint64("seed", 1, "generator seed")
	pairs := fs.Int("suppression-pairs", 0, "also measure what suppression adds: wash each delivery this many times with every register and as many with the postal code directory only, alternately, and print the medians")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%-12s %10s %12s %9s %10s  %s\n", "rows", "seconds", "rows/s", "MB/s", "peak RSS", "stage busy seconds (rows/s per busy core)")
	for _, s := range strings.Split(*rowsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return fmt.Errorf("--rows: %q is not a positive number", s)
		}
		d := filepath.Join(*dir, strconv.Itoa(n))
		if err := ensureDelivery(ctx, self, d, n, *nixSize, *seed, stderr); err != nil {
			return err
		}
		run, err := benchWash(ctx, self, d, filepath.Join(d, "registers"), stderr)
		if err != nil {
			return fmt.Errorf("wash of %d rows: %w", n, err)
		}
		t, rss := run.timings, run.rss
		var stages []string
		for _, st := range t.Stages {
			stages = append(stages, fmt.Sprintf("%s %.2f (%s)", st.Stage, st.Busy.Seconds(), thousands(int64(st.RowsPerSecond()))))
		}
		fmt.Fprintf(stdout, "%-12s %10.2f %12s %9.1f %9.0fM  %s\n", thousands(int64(n)), t.Seconds,
			thousands(int64(float64(t.Rows)/t.Seconds)), float64(t.InputBytes)/1e6/t.Seconds, float64(rss)/(1<<20),
			strings.Join(stages, ", "))
		if *pairs > 0 {
			if err := benchSuppression(ctx, self, d, *pairs, stdout, stderr); err != nil {
				return err
			}
		}
	}
	return nil
}

// benchRun is one child wash: its timings file, and the child's wall
// time (register loading included), user CPU time and peak RSS.
type benchRun struct {
	timings   washTimings
	wall, cpu time.Duration
	rss       int64
}

// benchWash washes dir's delivery.csv against regs in a child process.
func benchWash(ctx context.Context, self, dir, regs string, stderr io.Writer) (benchRun, error) {
	timings := filepath.Join(dir, "timings.json")
	cmd := exec.CommandContext(ctx, self, "wash", "--in", filepath.Join(dir, "delivery.csv"),
		"--registers", regs, "--out", filepath.Join(dir, "washed"), "--force", "--quiet",
		"--company", "Acme AB", "--asof", "2026-11-01", "--timings", timings)
	cmd.Stderr = stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return benchRun{}, err
	}
	r := benchRun{wall: time.Since(start), cpu: cmd.ProcessState.UserTime()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.rss = ru.Maxrss * 1024
	}
	data, err := os.ReadFile(timings)
	if err != nil {
		return benchRun{}, err
	}
	return r, json.Unmarshal(data, &r.timings)
}

// benchSuppression measures what the suppression registers add to a
// wash: pairs washes with every register and as many with the postal code
// directory only (the same delivery and rules; the register marks stay
// NULL), alternately, so that a machine's drift hits both alike. It
// prints the medians of wall and user CPU time and the difference.
func benchSuppression(ctx context.Context, self, dir string, pairs int, stdout, stderr io.Writer) error {
	postal := filepath.Join(dir, "registers-postcodes-only")
	if err := os.RemoveAll(postal); err != nil {
		return err
	}
	if err := os.CopyFS(filepath.Join(postal, "postcodes"), os.DirFS(filepath.Join(dir, "registers", "postcodes"))); err != nil {
		return fmt.Errorf("postal code directory for the suppression benchmark: %w", err)
	}
	var with, without [2][]time.Duration // wall, cpu
	for i := range pairs {
		for _, v := range []struct {
			regs string
			into *[2][]time.Duration
		}{{filepath.Join(dir, "registers"), &with}, {postal, &without}} {
			r, err := benchWash(ctx, self, dir, v.regs, stderr)
			if err != nil {
				return fmt.Errorf("suppression benchmark, pair %d: %w", i+1, err)
			}
			v.into[0], v.into[1] = append(v.into[0], r.wall), append(v.into[1], r.cpu)
		}
	}
	// Each pair's own difference first (median sorts in place): on a
	// shared machine they spread widely, and the spread belongs in a report.
	var perPair []string
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range pairs {
		d := 100 * (with[0][i].Seconds()/without[0][i].Seconds() - 1)
		lo, hi = min(lo, d), max(hi, d)
		perPair = append(perPair, fmt.Sprintf("%.2f/%.2f s %+.1f%%", with[0][i].Seconds(), without[0][i].Seconds(), d))
	}
	w, wc, o, oc := median(with[0]), median(with[1]), median(without[0]), median(without[1])
	fmt.Fprintf(stdout, "  suppression, median of %d alternating pairs: every register %.2f s (%.1f s CPU), postal codes only %.2f s (%.1f s CPU): %+.1f%% wall, %+.1f%% CPU\n",
		pairs, w.Seconds(), wc.Seconds(), o.Seconds(), oc.Seconds(), 100*(w.Seconds()/o.Seconds()-1), 100*(wc.Seconds()/oc.Seconds()-1))
	fmt.Fprintf(stdout, "  pairs (every register/postal codes only): %s; wall difference %+.1f%% to %+.1f%%\n",
		strings.Join(perPair, ", "), lo, hi)
	return nil
}

// median returns the median of ds (the mean of the middle two for an even
// count); ds is sorted in place.
func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	n := len(ds)
	if n%2 == 1 {
		return ds[n/2]
	}
	return (ds[n/2-1] + ds[n/2]) / 2
}

// ensureDelivery generates a delivery with registers (and a NIX snapshot)
// in dir unless one is there already.
func ensureDelivery(ctx context.Context, self, dir string, rows, nixSize int, seed uint64, stderr io.Writer) error {
	if _, err := os.Stat(filepath.Join(dir, "delivery.csv")); err == nil {
		return nil
	}
	cfg := gen.DefaultConfig()
	cfg.Rows, cfg.Seed, cfg.NIXSize, cfg.Company = rows, seed, nixSize, "Acme AB"
	cfg.AsOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cfg.Encoding = "windows-1252"
	fmt.Fprintf(stderr, "generating %d rows in %s...\n", rows, dir)
	if _, err := gen.Generate(ctx, cfg, dir); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, self, "registers", "build", "--registers", filepath.Join(dir, "registers"))
	cmd.Stderr = stderr
	return cmd.Run()
}
