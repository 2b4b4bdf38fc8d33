package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/listwash/listwash/worker/gen"
)

func runGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	def := gen.DefaultConfig()
	fs := newFlags("gen", "--out DIR --rows N [flags]", stderr)
	out := fs.String("out", "", "output folder (required)")
	rows := fs.Int("rows", def.Rows, "data rows in the delivery")
	seed := fs.Uint64("seed", def.Seed, "random seed: the same seed and flags give identical files")
	encoding := fs.String("encoding", gen.EncodingUTF8, "utf-8, utf-8-bom or windows-1252")
	delim := fs.String("delimiter", ";", "field delimiter: ; , tab or |")
	headers := fs.String("headers", gen.HeadersSwedish, "header dialect: sv, en or pl")
	gz := fs.Bool("gzip", false, "write delivery.csv.gz")
	xlsx := fs.Bool("xlsx", false, "write delivery.xlsx")
	crlf := fs.Bool("crlf", false, "CRLF line ends")
	shuffle := fs.Bool("shuffle-columns", false, "write the columns in a seed-dependent order")
	supplier := fs.String("supplier", "", "supplier name (default \"Exempel Leads AB\")")
	company := fs.String("company", "", "company the consents are for (default \"Ringmästarna AB\")")
	asof := fs.String("asof", "", "as-of date YYYY-MM-DD the registers are dated against (default today)")
	defects := fs.Float64("defects", def.DefectRate, "share of original rows with injected defects")
	dup := fs.Float64("dup-rate", def.DupRate, "share of exact duplicate rows")
	near := fs.Float64("near-dup-rate", def.NearDupRate, "share of near duplicate rows")
	nixRate := fs.Float64("nix-rate", def.NIXRate, "share of the persons' numbers on NIX")
	nixSize := fs.Int("nix-size", 0, "extra random numbers on NIX")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(stderr, "--out is required")
		return errUsage
	}
	cfg := gen.Config{
		Rows: *rows, Seed: *seed, Encoding: *encoding, Headers: *headers,
		Gzip: *gz, XLSX: *xlsx, CRLF: *crlf, ShuffleColumns: *shuffle,
		Supplier: *supplier, Company: *company,
		DefectRate: *defects, DupRate: *dup, NearDupRate: *near, NIXRate: *nixRate, NIXSize: *nixSize,
	}
	switch *delim {
	case ";", ",", "|":
		cfg.Delimiter = (*delim)[0]
	case "tab", "\t", `\t`:
		cfg.Delimiter = '\t'
	default:
		fmt.Fprintln(stderr, "--delimiter must be ; , tab or |")
		return errUsage
	}
	if *asof != "" {
		t, err := time.Parse(time.DateOnly, *asof)
		if err != nil {
			fmt.Fprintln(stderr, "--asof must be YYYY-MM-DD")
			return errUsage
		}
		cfg.AsOf = t
	}
	start := time.Now()
	sum, err := gen.Generate(ctx, cfg, *out)
	if err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(stdout, "wrote %s: %d rows, %d persons, %d exact and %d near duplicates, %d defect rows, %d NIX numbers in %v (%.0f rows/s)\n",
		*out, sum.Rows, sum.Persons, sum.ExactDups, sum.NearDups, sum.DefectRows, sum.NIXEntries,
		el.Round(time.Millisecond), float64(sum.Rows)/el.Seconds())
	return nil
}
