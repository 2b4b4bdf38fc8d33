package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/worker"
	"github.com/listwash/listwash/worker/registers"
)

// TestForgetNoCleartext adds people to the forget list, rotates the key,
// runs the register commands and the suppress stage, and then scans every
// file written under the registers folder, the captured logs and the
// commands' output for the cleartext values: none may appear.
func TestForgetNoCleartext(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(prev) })

	k1 := base64.StdEncoding.EncodeToString([]byte("first key, 32 bytes long.......!"))
	k2 := base64.StdEncoding.EncodeToString([]byte("second key, 32 bytes long......!"))
	t.Setenv(registers.ForgetKeysEnv, "k1:"+k1+",k2:"+k2)

	regs := t.TempDir()
	os.MkdirAll(filepath.Join(regs, "nix"), 0o755)
	os.WriteFile(filepath.Join(regs, "nix", "nix-2026-11-01.txt"), []byte("0701111111\n"), 0o644)
	private := t.TempDir() // the operator's cleartext values, outside the store

	values := map[string][]string{ // kind -> values as an operator types them
		registers.KindPNR:         {"811228-9874"},
		registers.KindPhone:       {"070-400 00 01", "+46 70 400 00 02"},
		registers.KindEmail:       {"Glomd.Person@Exempel.SE"},
		registers.KindNameAddress: {"Greta Glömd|Hemliga vägen 9|123 45"},
	}
	// Every form the cleartext could take in a file or a log line.
	secrets := []string{"811228", "9874", "198112289874", "4000001", "4000002", "400 00", "glomd.person", "Glömd", "glömd", "Hemliga"}

	var out, errOut bytes.Buffer
	cmd := func(args ...string) error {
		if code := run(ctx, args, &out, &errOut); code != 0 {
			t.Fatalf("%v: exit %d: %s", args[:2], code, errOut.String())
		}
		return nil
	}
	cmd("forget", "add", "--registers", regs, "--kind", "pnr", "--value", values[registers.KindPNR][0])
	for _, kind := range []string{registers.KindPhone, registers.KindEmail, registers.KindNameAddress} {
		f := filepath.Join(private, kind+".txt")
		os.WriteFile(f, []byte(strings.Join(values[kind], "\n")+"\n"), 0o600)
		cmd("forget", "add", "--registers", regs, "--kind", kind, "--file", f)
	}
	// Adding again adds nothing.
	cmd("forget", "add", "--registers", regs, "--kind", "pnr", "--value", "198112289874")
	if !strings.Contains(out.String(), "added 0 entries (1 already listed)") {
		t.Errorf("second add: %s", out.String())
	}
	// Rotate the phones to k2; the list then holds both key ids.
	cmd("forget", "rotate", "--registers", regs, "--from", "k1", "--to", "k2", "--kind", "phone", "--file", filepath.Join(private, "phone.txt"))
	if !strings.Contains(out.String(), "rotated 2 entries from k1 to k2") {
		t.Errorf("rotate: %s", out.String())
	}
	// A bad value fails without quoting it.
	if code := run(ctx, []string{"forget", "add", "--registers", regs, "--kind", "phone", "--value", "Hemliga 4000001x"}, &out, &errOut); code != 1 {
		t.Errorf("bad value: exit %d", code)
	}
	cmd("registers", "build", "--registers", regs)
	cmd("registers", "info", "--registers", regs)
	if !strings.Contains(out.String(), "forget key ids: k1, k2") {
		t.Errorf("info: %s", out.String())
	}

	// The wash: every kind matches, under whichever key it is hashed.
	st, err := infra.NewLocalReader(regs)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := registerLoadOptions()
	if err != nil {
		t.Fatal(err)
	}
	set, err := registers.Load(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	stage, err := worker.NewSuppressStage(set, worker.Env{Company: "Acme", AsOf: time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)}, worker.SuppressOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b := &worker.Batch{Rows: []formats.Row{
		{PNR: "198112289874", PNRValid: true},
		{MobileE164: "+46704000001"},
		{PhoneE164: "+46704000002"},
		{Email: "glomd.person@exempel.se"},
		{FirstName: "Greta", LastName: "Glömd", Street: "Hemliga vägen 9", PostalCode: "12345"},
		{MobileE164: "+46709999999"},
	}}
	if err := stage.Process(ctx, b); err != nil {
		t.Fatal(err)
	}
	for i, r := range b.Rows {
		if want := i < 5; r.Erased == nil || *r.Erased != want {
			t.Errorf("row %d: erased %v, want %v", i, r.Erased, want)
		}
	}

	// Scan.
	scan := func(what string, data []byte) {
		for _, s := range secrets {
			if bytes.Contains(bytes.ToLower(data), bytes.ToLower([]byte(s))) {
				t.Errorf("%s holds cleartext %q", what, s)
			}
		}
	}
	files := 0
	filepath.WalkDir(regs, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Error(err)
		}
		files++
		scan(p, data)
		return nil
	})
	if files < 4 {
		t.Errorf("only %d files written", files)
	}
	scan("logs", logs.Bytes())
	scan("stdout", out.Bytes())
	scan("stderr", errOut.Bytes())
	if !strings.Contains(logs.String(), "forget entries added") || !strings.Contains(errOut.String(), "not a valid phone") {
		t.Errorf("logs or errors not captured: %s / %s", logs.String(), errOut.String())
	}
}
