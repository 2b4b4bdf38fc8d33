// Package gen generates synthetic supplier deliveries of Swedish persons,
// the registers to wash them against (NIX, consents, deceased...) and the
// ground truth of what a correct wash must find: validity, duplicates,
// defects and suppression marks for every row.
//
// Everything is deterministic from Config: the same Config (seed and as-of
// date included) gives byte-identical files.
package gen

import (
	"errors"
	"fmt"
	"time"
)

// Encodings a delivery can be written in.
const (
	EncodingUTF8        = "utf-8"
	EncodingUTF8BOM     = "utf-8-bom"
	EncodingWindows1252 = "windows-1252"
)

// Header dialects.
const (
	HeadersSwedish = "sv"
	HeadersEnglish = "en"
	HeadersPolish  = "pl"
)

// MaxXLSXRows is the most data rows an XLSX delivery can hold (one sheet).
const MaxXLSXRows = 1<<20 - 1

// Config says what to generate. Zero values are documented per field; use
// DefaultConfig for the rates the command line uses by default.
type Config struct {
	Rows      int    // data rows in the delivery; 0 writes a header only
	Seed      uint64 // seed of every random choice
	Encoding  string // EncodingXxx; "" means utf-8
	Delimiter byte   // ';', ',', '\t' or '|'; 0 means ';'
	Headers   string // HeadersXxx; "" means sv
	Gzip      bool   // write delivery.csv.gz
	XLSX      bool   // write delivery.xlsx (at most MaxXLSXRows rows; no CSV-only defects)
	CRLF      bool   // CRLF line ends (CSV only)
	// ShuffleColumns writes the columns in a seed-dependent order.
	ShuffleColumns bool

	Supplier string    // supplier name for README.txt; "" means "Exempel Leads AB"
	Company  string    // the washing company, for consents; "" means "Ringmästarna AB"
	AsOf     time.Time // wash date the registers are dated against; zero means today (UTC)

	DefectRate  float64 // share of original rows with injected defects; 0 means none
	DupRate     float64 // share of rows that are exact duplicates; 0 means none
	NearDupRate float64 // share of rows that are near duplicates; 0 means none
	NIXRate     float64 // share of the persons' phone numbers put on NIX; 0 means none
	NIXSize     int     // extra random numbers on NIX that match nobody; 0 means none
}

// DefaultConfig returns the command line's defaults: 1000 rows, seed 1,
// defects 2%, exact and near duplicates 3% each, NIX 10%, as of today.
func DefaultConfig() Config {
	return Config{
		Rows:        1000,
		Seed:        1,
		DefectRate:  0.02,
		DupRate:     0.03,
		NearDupRate: 0.03,
		NIXRate:     0.1,
	}
}

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("invalid generator config")

// Capacity limits: phone numbers and identity numbers are unique per
// person, drawn from finite number spaces.
const (
	maxRows   = 40_000_000
	maxPhones = mobileSpace - 100 // persons plus extra NIX numbers
)

// withDefaults fills the "" / 0 defaults and validates the config.
func (c Config) withDefaults() (Config, error) {
	if c.Encoding == "" {
		c.Encoding = EncodingUTF8
	}
	if c.Delimiter == 0 {
		c.Delimiter = ';'
	}
	if c.Headers == "" {
		c.Headers = HeadersSwedish
	}
	if c.Supplier == "" {
		c.Supplier = "Exempel Leads AB"
	}
	if c.Company == "" {
		c.Company = "Ringmästarna AB"
	}
	if c.AsOf.IsZero() {
		c.AsOf = time.Now().UTC()
	}
	c.AsOf = time.Date(c.AsOf.Year(), c.AsOf.Month(), c.AsOf.Day(), 0, 0, 0, 0, time.UTC)
	switch {
	case c.Rows < 0 || c.Rows > maxRows:
		return c, fmt.Errorf("%w: rows must be 0..%d", ErrConfig, maxRows)
	case c.NIXSize < 0 || c.Rows+c.NIXSize > maxPhones:
		return c, fmt.Errorf("%w: rows plus nix size must be at most %d", ErrConfig, maxPhones)
	case c.Encoding != EncodingUTF8 && c.Encoding != EncodingUTF8BOM && c.Encoding != EncodingWindows1252:
		return c, fmt.Errorf("%w: unknown encoding", ErrConfig)
	case c.Delimiter != ';' && c.Delimiter != ',' && c.Delimiter != '\t' && c.Delimiter != '|':
		return c, fmt.Errorf("%w: delimiter must be ; , tab or |", ErrConfig)
	case c.Headers != HeadersSwedish && c.Headers != HeadersEnglish && c.Headers != HeadersPolish:
		return c, fmt.Errorf("%w: headers must be sv, en or pl", ErrConfig)
	case c.XLSX && c.Gzip:
		return c, fmt.Errorf("%w: xlsx and gzip exclude each other", ErrConfig)
	case c.XLSX && c.Rows > MaxXLSXRows:
		return c, fmt.Errorf("%w: xlsx holds at most %d rows", ErrConfig, MaxXLSXRows)
	case c.AsOf.Year() < 1990 || c.AsOf.Year() > 2090:
		return c, fmt.Errorf("%w: as-of year must be 1990..2090", ErrConfig)
	}
	for _, r := range []float64{c.DefectRate, c.DupRate, c.NearDupRate, c.NIXRate} {
		if r < 0 || r > 1 {
			return c, fmt.Errorf("%w: rates must be 0..1", ErrConfig)
		}
	}
	if c.DupRate+c.NearDupRate > 0.9 {
		return c, fmt.Errorf("%w: dup rate plus near-dup rate must be at most 0.9", ErrConfig)
	}
	return c, nil
}

// Summary counts what was generated.
type Summary struct {
	Rows       int64            // data rows in the delivery
	Lines      int64            // physical lines (CSV, header included) or sheet rows (XLSX)
	Bytes      int64            // bytes of the delivery file as written
	Persons    int64            // distinct persons
	Originals  int64            // first rows of a person
	ExactDups  int64            // exact duplicate rows
	NearDups   int64            // near duplicate rows
	DefectRows int64            // rows with at least one defect
	Defects    map[string]int64 // rows per defect code
	NIXEntries int64            // lines in the NIX file
	NIXRows    int64            // delivery rows the truth marks nix_listed
	Consents   int64            // lines in the consents file
	Deceased   int64            // lines in the deceased file
}
