package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/worker"
	"github.com/listwash/listwash/worker/registers"
)

func runRegisters(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "build":
		return runRegistersBuild(ctx, args, stdout, stderr)
	case "info":
		return runRegistersInfo(ctx, args, stdout, stderr)
	default:
		fmt.Fprintln(stderr, "Usage: listwash registers build|info --registers DIR")
		fmt.Fprintln(stderr, "  build  turn the newest NIX file into a snapshot in <register>/_snapshot/")
		fmt.Fprintln(stderr, "  info   show each register's version, entry count and size")
		if sub == "-h" || sub == "--help" {
			return nil
		}
		return errUsage
	}
}

func runRegistersBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("registers build", "--registers DIR", stderr)
	dir := fs.String("registers", "", "registers folder (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := openRegisters(*dir, true)
	if err != nil {
		return err
	}
	opts, err := registerLoadOptions()
	if err != nil {
		return err
	}
	start := time.Now()
	infos, err := registers.BuildSnapshots(ctx, st, opts)
	if err != nil {
		return err
	}
	for _, in := range infos {
		slog.Info("register snapshot written", "register", in.Name, "version", in.Version, "entries", in.Entries,
			"skipped", in.Skipped, "key", in.Files[0], "elapsed", time.Since(start).Round(time.Millisecond))
		fmt.Fprintf(stdout, "%s %s: %d entries (%d skipped) -> %s\n", in.Name, in.Version, in.Entries, in.Skipped, in.Files[0])
	}
	if len(infos) == 0 {
		fmt.Fprintln(stdout, "no register to snapshot")
	}
	return nil
}

func runRegistersInfo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("registers info", "--registers DIR", stderr)
	dir := fs.String("registers", "", "registers folder (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := openRegisters(*dir, false)
	if err != nil {
		return err
	}
	opts, err := registerLoadOptions()
	if err != nil {
		return err
	}
	opts.AllowMissingForgetKeys = true
	set, err := registers.Load(ctx, st, opts)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "REGISTER\tUSED\tVERSION\tENTRIES\tSKIPPED\tSNAPSHOT\tMEMORY\tFILE BYTES\tFILES")
	for _, in := range set.Versions() {
		var size int64
		for _, k := range in.Files {
			n, err := st.Size(ctx, k)
			if err != nil {
				return err
			}
			size += n
		}
		fmt.Fprintf(tw, "%s\t%v\t%s\t%d\t%d\t%v\t%s\t%d\t%s\n", in.Name, in.Used, dash(in.Version), in.Entries, in.Skipped,
			in.Snapshot, mib(in.Bytes), size, dash(strings.Join(in.Files, " ")))
	}
	if set.Forget != nil {
		fmt.Fprintf(tw, "\nforget key ids: %s\n", strings.Join(set.Forget.KeyIDs(), ", "))
	}
	if v := set.EarliestValidUntil(); v != "" {
		fmt.Fprintf(tw, "NIX checks valid until: %s\n", v)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func mib(n int64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB" }

// openRegisters opens a registers folder: a path or s3://bucket/prefix. A
// local folder must exist unless write is set.
func openRegisters(dir string, write bool) (infra.Store, error) {
	if dir == "" {
		return nil, fmt.Errorf("--registers is required: %w", errUsage)
	}
	ctx := context.Background()
	if !write {
		if _, err := infra.OpenReader(ctx, dir, infra.S3ConfigFromEnv()); err != nil {
			return nil, fmt.Errorf("--registers: %w", err)
		}
	}
	return infra.OpenStore(ctx, dir, infra.S3ConfigFromEnv())
}

// registerLoadOptions are the normalisers registers are loaded with (the
// delivery's own rules) and the forget-list keys from the environment.
func registerLoadOptions() (registers.LoadOptions, error) {
	keys, err := registers.ParseForgetKeys(os.Getenv(registers.ForgetKeysEnv))
	if err != nil {
		return registers.LoadOptions{}, err
	}
	opts := worker.RegisterOptions("SE")
	opts.ForgetKeys = keys
	return opts, nil
}
