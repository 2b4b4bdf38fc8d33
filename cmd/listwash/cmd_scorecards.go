package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/worker"
)

// scorecardColumns are the rates of worker.Rates.Named in order: the CSV
// name of the count each rate divides and the table's heading.
var scorecardColumns = []struct{ count, title string }{
	{"rejected_rows", "rejected"},
	{"invalid_phone_rows", "inv.phone"},
	{"no_valid_phone_rows", "no phone"},
	{"invalid_postal_rows", "inv.postal"},
	{"invalid_pnr_rows", "inv.pnr"},
	{"duplicate_rows", "dupl."},
	{"nix_listed_rows", "NIX"},
	{"nix_blocked_rows", "NIX blocked"},
	{"deceased_rows", "deceased"},
	{"seen_before_same_supplier", "seen same"},
	{"seen_before_other_supplier", "seen other"},
	{"callable_rows", "callable"},
}

func runScorecards(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("scorecards", "[--supplier NAME] [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--json | --csv] LOCATION...", stderr)
	supplier := fs.String("supplier", "", "only this supplier (exact name, case-insensitive)")
	since := fs.String("since", "", "only deliveries started on or after this day, YYYY-MM-DD (UTC)")
	until := fs.String("until", "", "only deliveries started on or before this day, YYYY-MM-DD (UTC)")
	jsonOut := fs.Bool("json", false, "print an array of suppliers with their deliveries and totals as JSON")
	csvOut := fs.Bool("csv", false, "print one CSV row per delivery and a TOTAL row per supplier")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: listwash scorecards [--supplier NAME] [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--json | --csv] LOCATION...")
		fmt.Fprintln(stderr, "\nPrints each supplier's deliveries over time from the scorecards of committed runs")
		fmt.Fprintln(stderr, "(folders with a _manifest.json) under each LOCATION: a folder or s3://bucket/prefix,")
		fmt.Fprintln(stderr, "one run's folder or any folder above many. Rates are in % of rows; seen before")
		fmt.Fprintln(stderr, "(same/other supplier, from the contact index) in % of persons, blank for runs washed")
		fmt.Fprintln(stderr, "without a contact index.")
		fmt.Fprintln(stderr, "Folders without a manifest are skipped and counted; an unreadable committed run is an")
		fmt.Fprintln(stderr, "error line on stderr, the others still print, and the exit code is 1.")
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	locations, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(locations) == 0 {
		fmt.Fprintln(stderr, "listwash scorecards: give at least one LOCATION")
		fs.Usage()
		return errUsage
	}
	if *jsonOut && *csvOut {
		fmt.Fprintln(stderr, "listwash scorecards: --json and --csv exclude each other")
		return errUsage
	}
	filter := worker.HistoryFilter{Supplier: *supplier}
	for _, d := range []struct {
		flag, value string
		t           *time.Time
	}{{"--since", *since, &filter.Since}, {"--until", *until, &filter.Until}} {
		if d.value == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, d.value)
		if err != nil {
			fmt.Fprintf(stderr, "listwash scorecards: %s %q: want YYYY-MM-DD\n", d.flag, d.value)
			return errUsage
		}
		*d.t = t
	}
	if !filter.Since.IsZero() && !filter.Until.IsZero() && filter.Until.Before(filter.Since) {
		fmt.Fprintln(stderr, "listwash scorecards: --until is before --since")
		return errUsage
	}

	var all []worker.Delivery
	failed, uncommitted := 0, 0
	for _, loc := range locations {
		scan, err := readLocation(ctx, loc)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			fmt.Fprintf(stderr, "listwash scorecards: %v\n", err)
			failed++
			continue
		}
		for _, e := range scan.Errors {
			fmt.Fprintf(stderr, "listwash scorecards: %s: %v\n", locationKey(loc, e.Key), e.Err)
		}
		failed += len(scan.Errors)
		uncommitted += scan.Uncommitted
		for _, d := range scan.Deliveries {
			d.Manifest = locationKey(loc, d.Manifest)
			all = append(all, d)
		}
	}
	h := worker.Aggregate(all, filter)
	switch {
	case *jsonOut:
		err = printScorecardsJSON(stdout, h)
	case *csvOut:
		err = printScorecardsCSV(stdout, h)
	default:
		err = printScorecardsTable(stdout, h)
	}
	if err != nil {
		return err
	}
	if uncommitted > 0 {
		fmt.Fprintf(stderr, "listwash scorecards: skipped %d run folder(s) without %s (not committed)\n", uncommitted, worker.ManifestKey)
	}
	if h.Repeated > 0 {
		fmt.Fprintf(stderr, "listwash scorecards: %d run(s) found under more than one location, counted once\n", h.Repeated)
	}
	if failed > 0 {
		return fmt.Errorf("%d run(s) or location(s) could not be read", failed)
	}
	return nil
}

// parseInterleaved parses flags that may come before, between or after
// the positional arguments, and returns those.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

func readLocation(ctx context.Context, loc string) (worker.HistoryScan, error) {
	st, err := infra.OpenReader(ctx, loc, infra.S3ConfigFromEnv())
	if err != nil {
		return worker.HistoryScan{}, fmt.Errorf("%s: %w", loc, err)
	}
	scan, err := worker.ReadHistory(ctx, st)
	if err != nil {
		return worker.HistoryScan{}, fmt.Errorf("%s: %w", loc, err)
	}
	return scan, nil
}

// locationKey names a key under a location given on the command line.
func locationKey(loc, key string) string {
	return strings.TrimSuffix(loc, "/") + "/" + key
}

// printScorecardsJSON prints the suppliers as a JSON array (see README,
// "Supplier history").
func printScorecardsJSON(w io.Writer, h worker.History) error {
	out := h.Suppliers
	if out == nil {
		out = []worker.SupplierHistory{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// printScorecardsCSV prints one row per delivery and one TOTAL row per
// supplier (run_id "TOTAL", input and started empty).
func printScorecardsCSV(w io.Writer, h worker.History) error {
	cw := csv.NewWriter(w)
	head := []string{"supplier", "run_id", "input", "started", "deliveries", "rows", "persons"}
	for _, c := range scorecardColumns {
		head = append(head, c.count)
	}
	head = append(head, "dedup_persons")
	for _, r := range (worker.Rates{}).Named() {
		head = append(head, r.Name+"_pct")
	}
	cw.Write(head)
	row := func(supplier, runID, input, started string, n int, c *worker.Counts, seen *worker.SeenBefore, rates worker.Rates) {
		rec := []string{supplier, runID, input, started, strconv.Itoa(n), itoa(c.Rows), itoa(c.Persons)}
		named := rates.Named()
		for _, r := range named {
			if r.Rate.Of == 0 {
				rec = append(rec, "")
			} else {
				rec = append(rec, itoa(r.Rate.N))
			}
		}
		if seen != nil {
			rec = append(rec, itoa(seen.Persons))
		} else {
			rec = append(rec, "")
		}
		for _, r := range named {
			rec = append(rec, r.Rate.Percent())
		}
		cw.Write(rec)
	}
	for _, s := range h.Suppliers {
		for _, d := range s.Deliveries {
			row(s.Supplier, d.RunID, d.Input, d.Started.Format(time.RFC3339), 1, &d.Counts, d.Seen, d.Rates)
		}
		row(s.Supplier, "TOTAL", "", "", s.Total.Deliveries, &s.Total.Counts, s.Total.Seen, s.Total.Rates)
	}
	cw.Flush()
	return cw.Error()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// printScorecardsTable prints one aligned table for people: a line per
// delivery, a TOTAL line per supplier.
func printScorecardsTable(w io.Writer, h worker.History) error {
	if len(h.Suppliers) == 0 {
		_, err := fmt.Fprintln(w, "no deliveries found")
		return err
	}
	head := []string{"supplier", "date", "run", "input", "rows"}
	for _, c := range scorecardColumns {
		head = append(head, c.title)
	}
	lines := [][]string{head}
	line := func(supplier, date, run, input string, rows int64, rates worker.Rates) {
		l := []string{supplier, date, run, input, itoa(rows)}
		for _, r := range rates.Named() {
			l = append(l, r.Rate.Percent())
		}
		lines = append(lines, l)
	}
	for _, s := range h.Suppliers {
		for _, d := range s.Deliveries {
			line(s.Supplier, d.Started.Format(time.DateOnly), shortRunID(d.RunID), path.Base(d.Input), d.Counts.Rows, d.Rates)
		}
		n := fmt.Sprintf("%d deliveries", s.Total.Deliveries)
		if s.Total.Deliveries == 1 {
			n = "1 delivery"
		}
		line(s.Supplier, "TOTAL", n, "", s.Total.Counts.Rows, s.Total.Rates)
	}
	if _, err := fmt.Fprintln(w, "rates in % of rows; seen same/other: persons bought before from the same/another supplier (contact index), in % of persons"); err != nil {
		return err
	}
	return writeAligned(w, lines, 4) // the first 4 columns are text, the rest numbers
}

// shortRunID keeps a run id's last 8 characters: the random or hashed part
// of both the embedded ("20261123T073014Z-1a2b3c4d") and the runtime's ids.
func shortRunID(id string) string {
	if utf8.RuneCountInString(id) <= 12 {
		return id
	}
	r := []rune(id)
	return "…" + string(r[len(r)-8:])
}

// writeAligned writes lines in columns two spaces apart: the first text
// columns left-aligned, the others (numbers) right-aligned.
func writeAligned(w io.Writer, lines [][]string, text int) error {
	var width []int
	for _, l := range lines {
		for i, c := range l {
			if i == len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, l := range lines {
		for i, c := range l {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if i < text {
				b.WriteString(c)
				if i < len(l)-1 {
					b.WriteString(pad)
				}
			} else {
				b.WriteString(pad + c)
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
