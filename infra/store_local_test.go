package infra_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/infra/storetest"
)

func TestLocalStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) infra.Store {
		s, err := infra.NewLocalStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestPrefixStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) infra.Store {
		s, err := infra.NewLocalStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return infra.WithPrefix(s, "runs/r1")
	})
}

// TestLocalStoreFollowsLinks: a register folder made of links (to this
// month's files, or a whole folder) lists and reads like real files.
func TestLocalStoreFollowsLinks(t *testing.T) {
	base := t.TempDir()
	data, root := filepath.Join(base, "data"), filepath.Join(base, "root")
	for _, d := range []string{filepath.Join(data, "nix"), filepath.Join(root, "postcodes")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, p string) {
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(data, "nix", "nix-2026-11-01.txt"), "0701234567\n")
	write(filepath.Join(data, "postcodes.csv"), "postal_code;city\n11122;STOCKHOLM\n")
	write(filepath.Join(root, "own.csv"), "x\n")
	link(filepath.Join(data, "nix"), filepath.Join(root, "nix"))                           // a linked folder
	link(filepath.Join(data, "postcodes.csv"), filepath.Join(root, "postcodes", "pc.csv")) // a linked file
	link(filepath.Join(data, "gone.csv"), filepath.Join(root, "dangling.csv"))             // leads nowhere
	link(root, filepath.Join(root, "postcodes", "loop"))                                   // back into root
	rootLink := filepath.Join(base, "current")
	link(root, rootLink) // the store's own folder is a link

	for _, dir := range []string{root, rootLink} {
		s, err := infra.NewLocalReader(dir)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		var got []string
		for o, err := range s.List(ctx, "") {
			if err != nil {
				t.Fatalf("%s: %v", dir, err)
			}
			got = append(got, fmt.Sprintf("%s %d", o.Key, o.Size))
		}
		want := []string{"nix/nix-2026-11-01.txt 11", "own.csv 2", "postcodes/pc.csv 33"}
		if !slices.Equal(got, want) {
			t.Errorf("%s: List = %q, want %q", dir, got, want)
		}
		keys, err := s.ListKeys(ctx, "nix/")
		if err != nil || !slices.Equal(keys, []string{"nix/nix-2026-11-01.txt"}) {
			t.Errorf("%s: ListKeys(nix/) = %q, %v", dir, keys, err)
		}
		r, err := s.Open(ctx, "postcodes/pc.csv")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		r.Close()
		if string(b) != "postal_code;city\n11122;STOCKHOLM\n" {
			t.Errorf("%s: read %q", dir, b)
		}
	}
}
