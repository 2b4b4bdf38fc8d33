// Command listwash washes contact lists: one binary, several subcommands.
// main only parses flags and wires packages together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand. run parses its own flags from args.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands lists the subcommands in the order --help shows them.
func commands() []command {
	return []command{
		{"wash", "wash one supplier file into marked Parquet rows and a scorecard", runWash},
		{"scorecards", "print each supplier's deliveries over time from committed runs' scorecards, with totals", runScorecards},
		{"registers", "build register snapshots (build) or show register versions (info)", runRegisters},
		{"forget", "add people to the forget list as keyed hashes (add), rehash under a new key (rotate)", runForget},
		{"worker", "run wash tasks from the queue (Asynq), with /metrics and /healthz", runWorker},
		{"watch", "enqueue washes for files landing in the inbox: S3 event webhook and periodic sweep", runWatch},
		{"serve", "serve the queue web UI (asynqmon) for operators", runServe},
		{"upload-url", "print a presigned URL a supplier PUTs one delivery to (inbox/<supplier>/<file>)", runUploadURL},
		{"gen", "generate a synthetic delivery with registers and ground truth", runGen},
		{"bench", "generate deliveries and measure the wash: rows/s, MB/s, peak RSS, per stage", runBench},
		{"version", "print the version", runVersion},
	}
}

// errUsage marks a command-line mistake: exit code 2, no extra noise.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		default:
			fmt.Fprintf(stderr, "listwash %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "listwash: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "listwash washes contact lists against NIX and other registers.")
	fmt.Fprintln(w, "\nUsage: listwash <command> [flags]   (listwash <command> --help for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
}

// newFlags returns a flag set that prints usage to stderr and reports
// mistakes as errUsage.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("listwash "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: listwash %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, mapping a flag mistake to errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	return nil
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func runVersion(_ context.Context, _ []string, stdout, _ io.Writer) error {
	fmt.Fprintln(stdout, "listwash", version)
	return nil
}
