package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/worker/registers"
)

// The forget list keeps only keyed hashes (see worker/registers/forget.go).
// Values given here are never written, logged or put in error messages.

func runForget(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "add":
		return runForgetAdd(ctx, args, stdout, stderr)
	case "rotate":
		return runForgetRotate(ctx, args, stdout, stderr)
	default:
		fmt.Fprintln(stderr, "Usage: listwash forget add|rotate --registers DIR ...")
		fmt.Fprintln(stderr, "  add     --kind pnr|phone|email|name_address (--value V | --file F)")
		fmt.Fprintln(stderr, "  rotate  --from ID --to ID --kind K --file F   rehash listed values under a new key")
		fmt.Fprintf(stderr, "Keys come from %s=id1:base64key,id2:base64key (first = current).\n", registers.ForgetKeysEnv)
		if sub == "-h" || sub == "--help" {
			return nil
		}
		return errUsage
	}
}

// forgetValues reads the values of --value or --file (one per line,
// blank lines skipped).
func forgetValues(value, file string) ([]string, error) {
	if (value == "") == (file == "") {
		return nil, fmt.Errorf("give --value or --file: %w", errUsage)
	}
	if value != "" {
		return []string{value}, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read values file: %w", err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		if v := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff")); v != "" {
			out = append(out, v)
		}
	}
	return out, sc.Err()
}

func forgetHashes(kind string, values []string, key registers.ForgetKey, opts registers.LoadOptions) ([][32]byte, error) {
	out := make([][32]byte, len(values))
	for i, v := range values {
		c, err := registers.ForgetCanonical(kind, v, opts)
		if err != nil {
			return nil, fmt.Errorf("value %d: %w", i+1, err)
		}
		out[i] = registers.ForgetHash(key, c)
	}
	return out, nil
}

type entryKey struct {
	id, kind string
	hash     [32]byte
}

func runForgetAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("forget add", "--registers DIR --kind KIND (--value V | --file F)", stderr)
	dir := fs.String("registers", "", "registers folder (required)")
	kind := fs.String("kind", "", "pnr, phone, email or name_address (\"First Last|Street|Postal code\")")
	value := fs.String("value", "", "one value")
	file := fs.String("file", "", "a file of values, one per line")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opts, err := registerLoadOptions()
	if err != nil {
		return err
	}
	if len(opts.ForgetKeys) == 0 {
		return fmt.Errorf("%s holds no key: %w", registers.ForgetKeysEnv, registers.ErrForgetKey)
	}
	key := opts.ForgetKeys[0]
	values, err := forgetValues(*value, *file)
	if err != nil {
		return err
	}
	hashes, err := forgetHashes(*kind, values, key, opts)
	if err != nil {
		return err
	}
	st, err := openRegisters(*dir, true)
	if err != nil {
		return err
	}
	existing, order, err := registers.ReadForgetEntries(ctx, st)
	if err != nil {
		return err
	}
	have := map[entryKey]bool{}
	for _, k := range order {
		for _, e := range existing[k] {
			have[entryKey{e.KeyID, e.Kind, e.Hash}] = true
		}
	}
	var add []registers.ForgetEntry
	for _, h := range hashes {
		ek := entryKey{key.ID, *kind, h}
		if !have[ek] {
			have[ek] = true
			add = append(add, registers.ForgetEntry{KeyID: key.ID, Kind: *kind, Hash: h})
		}
	}
	name := ""
	if len(add) > 0 {
		if name, err = writeForgetFile(ctx, st, add); err != nil {
			return err
		}
	}
	slog.Info("forget entries added", "kind", *kind, "key_id", key.ID, "added", len(add), "already_listed", len(hashes)-len(add), "file", name)
	fmt.Fprintf(stdout, "added %d entries (%d already listed) under key %s %s\n", len(add), len(hashes)-len(add), key.ID, name)
	return nil
}

// writeForgetFile writes entries to a new file of the forget folder,
// named with today's date (the register version) and a unique suffix.
func writeForgetFile(ctx context.Context, st infra.Store, es []registers.ForgetEntry) (string, error) {
	now := time.Now().UTC()
	key := registers.ForgetName + "/forget-" + now.Format(time.DateOnly) + "-" + strconv.FormatInt(now.UnixNano(), 36) + ".csv"
	return key, writeForgetKey(ctx, st, key, es)
}

func writeForgetKey(ctx context.Context, st infra.Store, key string, es []registers.ForgetEntry) error {
	w, err := st.Create(ctx, key)
	if err != nil {
		return err
	}
	if err := registers.WriteForgetEntries(w, es); err != nil {
		if a, ok := w.(infra.Aborter); ok {
			a.Abort()
		}
		return fmt.Errorf("write %s: %w", key, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}

func runForgetRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("forget rotate", "--registers DIR --from ID --to ID --kind KIND --file F", stderr)
	dir := fs.String("registers", "", "registers folder (required)")
	from := fs.String("from", "", "key id the entries are hashed with now")
	to := fs.String("to", "", "key id to rehash them with")
	kind := fs.String("kind", "", "pnr, phone, email or name_address")
	file := fs.String("file", "", "the cleartext values, one per line (kept outside the store)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *from == "" || *to == "" || *from == *to || *file == "" {
		return fmt.Errorf("give --from and --to (different key ids) and --file: %w", errUsage)
	}
	opts, err := registerLoadOptions()
	if err != nil {
		return err
	}
	kFrom, ok1 := registers.FindForgetKey(opts.ForgetKeys, *from)
	kTo, ok2 := registers.FindForgetKey(opts.ForgetKeys, *to)
	if !ok1 || !ok2 {
		return fmt.Errorf("%s must hold keys %q and %q: %w", registers.ForgetKeysEnv, *from, *to, registers.ErrForgetKey)
	}
	values, err := forgetValues("", *file)
	if err != nil {
		return err
	}
	old, err := forgetHashes(*kind, values, kFrom, opts)
	if err != nil {
		return err
	}
	nw, err := forgetHashes(*kind, values, kTo, opts)
	if err != nil {
		return err
	}
	st, err := openRegisters(*dir, true)
	if err != nil {
		return err
	}
	existing, order, err := registers.ReadForgetEntries(ctx, st)
	if err != nil {
		return err
	}
	listed := map[entryKey]bool{}
	for _, k := range order {
		for _, e := range existing[k] {
			listed[entryKey{e.KeyID, e.Kind, e.Hash}] = true
		}
	}
	rotated := map[entryKey]bool{}
	var add []registers.ForgetEntry
	for i := range old {
		ok := entryKey{*from, *kind, old[i]}
		if !listed[ok] || rotated[ok] {
			continue
		}
		rotated[ok] = true
		if nk := (entryKey{*to, *kind, nw[i]}); !listed[nk] {
			listed[nk] = true
			add = append(add, registers.ForgetEntry{KeyID: *to, Kind: *kind, Hash: nw[i]})
		}
	}
	// New entries first: at every moment each person is on the list under
	// at least one key.
	name := ""
	if len(add) > 0 {
		if name, err = writeForgetFile(ctx, st, add); err != nil {
			return err
		}
	}
	remaining := 0
	for _, k := range order {
		var keep []registers.ForgetEntry
		for _, e := range existing[k] {
			if !rotated[entryKey{e.KeyID, e.Kind, e.Hash}] {
				keep = append(keep, e)
				if e.KeyID == *from {
					remaining++
				}
			}
		}
		switch {
		case len(keep) == len(existing[k]):
		case len(keep) == 0:
			err = st.Delete(ctx, k)
		default:
			err = writeForgetKey(ctx, st, k, keep)
		}
		if err != nil {
			return errors.Join(fmt.Errorf("rewrite %s", k), err)
		}
	}
	slog.Info("forget entries rotated", "kind", *kind, "from", *from, "to", *to, "rotated", len(rotated),
		"not_listed", len(values)-len(rotated), "remaining_under_from", remaining, "file", name)
	fmt.Fprintf(stdout, "rotated %d entries from %s to %s (%d values not listed); %d entries remain under %s\n",
		len(rotated), *from, *to, len(values)-len(rotated), remaining, *from)
	return nil
}
