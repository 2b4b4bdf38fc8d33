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

// openRegisters opens a local registers folder; write also allows writes.
func openRegisters(dir string, write bool) (*infra.LocalStore, error) {
	if dir == "" {
		return nil, fmt.Errorf("--registers is required: %w", errUsage)
	}
	if strings.Contains(dir, "://") && !strings.HasPrefix(dir, "file://") {
		return nil, fmt.Errorf("registers: only local folders are supported by this command yet")
	}
	dir = strings.TrimPrefix(dir, "file://")
	st, err := infra.NewLocalReader(dir)
	if err != nil || !write {
		return st, err
	}
	return infra.NewLocalStore(dir)
}

// registerLoadOptions are the normalisers and forget keys registers are
// loaded with.
//
// TODO(lead): replace interimPhoneKey/interimPNR with worker/rules
// (rules.PhoneKey(rules.ParsePhone(raw, "SE").E164) and the personnummer
// normaliser) once it is merged; the wash must use the same functions.
func registerLoadOptions() (registers.LoadOptions, error) {
	keys, err := registers.ParseForgetKeys(os.Getenv(registers.ForgetKeysEnv))
	if err != nil {
		return registers.LoadOptions{}, err
	}
	return registers.LoadOptions{PhoneKey: interimPhoneKey, NormalisePNR: interimPNR, ForgetKeys: keys}, nil
}

// interimPhoneKey normalises Swedish numbers only: digits, "(0)" dropped,
// 0046/+46/0 -> 46, 9 to 12 digits with the country code.
func interimPhoneKey(raw string) (uint64, bool) {
	raw = strings.ReplaceAll(raw, "(0)", "")
	plus := strings.HasPrefix(strings.TrimSpace(raw), "+")
	var d []byte
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c >= '0' && c <= '9' {
			d = append(d, c)
		}
	}
	s := string(d)
	switch {
	case strings.HasPrefix(s, "0046"):
		s = s[2:]
	case strings.HasPrefix(s, "46") && (plus || len(s) >= 11):
	case strings.HasPrefix(s, "0") && !plus:
		s = "46" + s[1:]
	default:
		return 0, false
	}
	if len(s) < 9 || len(s) > 12 || s[2] == '0' {
		return 0, false
	}
	k, err := strconv.ParseUint(s, 10, 64)
	return k, err == nil
}

// interimPNR normalises a Swedish personnummer to 12 digits (10-digit
// forms: "+" means 100 years or more) and checks the date and Luhn digit.
func interimPNR(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	century := strings.Contains(raw, "+")
	var d []byte
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c >= '0' && c <= '9' {
			d = append(d, c)
		} else if c != '-' && c != '+' && c != ' ' {
			return "", false
		}
	}
	s := string(d)
	switch len(s) {
	case 12:
	case 10:
		now := time.Now().Year()
		y := now - now%100 + int(s[0]-'0')*10 + int(s[1]-'0')
		if y > now {
			y -= 100
		}
		if century {
			y -= 100
		}
		s = strconv.Itoa(y/100) + s
	default:
		return "", false
	}
	day := int(s[6]-'0')*10 + int(s[7]-'0')
	if day > 60 {
		day -= 60 // samordningsnummer
	}
	if _, err := time.Parse("20060102", s[:6]+fmt.Sprintf("%02d", day)); err != nil {
		return "", false
	}
	sum := 0
	for i := 2; i < 11; i++ {
		v := int(s[i] - '0')
		if (i-2)%2 == 0 {
			if v *= 2; v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	if (10-sum%10)%10 != int(s[11]-'0') {
		return "", false
	}
	return s, true
}
