package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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
		out := filepath.Join(d, "washed")
		timings := filepath.Join(d, "timings.json")
		cmd := exec.CommandContext(ctx, self, "wash", "--in", filepath.Join(d, "delivery.csv"),
			"--registers", filepath.Join(d, "registers"), "--out", out, "--force", "--quiet",
			"--company", "Acme AB", "--asof", "2026-11-01", "--timings", timings)
		cmd.Stderr = stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("wash of %d rows: %w", n, err)
		}
		var t washTimings
		data, err := os.ReadFile(timings)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, &t); err != nil {
			return err
		}
		rss := int64(0)
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = ru.Maxrss * 1024
		}
		var stages []string
		for _, st := range t.Stages {
			stages = append(stages, fmt.Sprintf("%s %.2f (%s)", st.Stage, st.Busy.Seconds(), thousands(int64(st.RowsPerSecond()))))
		}
		fmt.Fprintf(stdout, "%-12s %10.2f %12s %9.1f %9.0fM  %s\n", thousands(int64(n)), t.Seconds,
			thousands(int64(float64(t.Rows)/t.Seconds)), float64(t.InputBytes)/1e6/t.Seconds, float64(rss)/(1<<20),
			strings.Join(stages, ", "))
	}
	return nil
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
