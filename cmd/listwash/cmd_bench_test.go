package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// listwash bench generates a delivery, washes it in a child process (the
// test binary re-executing main) and prints its figures; with
// --suppression-pairs it also washes it against the postal code directory
// alone and prints what the other registers add.
func TestBench(t *testing.T) {
	t.Setenv(reexecEnv, "1") // the children are this binary running main
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, "bench", "--rows", "3000", "--dir", dir, "--nix-size", "1000", "--suppression-pairs", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	row := regexp.MustCompile(`(?m)^3,000 +[0-9.]+ +[0-9,]+ +[0-9.]+ +[0-9]+M  parse [0-9.]+ .*suppress [0-9.]+ `)
	if !row.MatchString(stdout) {
		t.Fatalf("no figures line for 3,000 rows with stage times:\n%s", stdout)
	}
	sup := regexp.MustCompile(`suppression, median of 2 alternating pairs: every register [0-9.]+ s \([0-9.]+ s CPU\), postal codes only [0-9.]+ s \([0-9.]+ s CPU\): [-+][0-9.]+% wall, [-+][0-9.]+% CPU`)
	if !sup.MatchString(stdout) {
		t.Fatalf("no suppression line:\n%s", stdout)
	}
	pair := `[0-9.]+/[0-9.]+ s [-+][0-9.]+%`
	if !regexp.MustCompile(`pairs \(every register/postal codes only\): ` + pair + `, ` + pair + `; wall difference [-+][0-9.]+% to [-+][0-9.]+%`).MatchString(stdout) {
		t.Fatalf("no line with each pair's figures:\n%s", stdout)
	}
	regs, err := filepath.Glob(filepath.Join(dir, "3000", "registers-postcodes-only", "*"))
	if err != nil || len(regs) != 1 || !strings.HasSuffix(regs[0], "postcodes") {
		t.Fatalf("postal-codes-only registers folder holds %v, want postcodes/ alone", regs)
	}
}
