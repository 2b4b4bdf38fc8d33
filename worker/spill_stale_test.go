package worker

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestRemoveStaleSpill(t *testing.T) {
	dir := t.TempDir()
	const dead = 2147483000 // above any pid_max: no such process
	old := time.Now().Add(-2 * StaleSpillAge)
	mk := func(name string, isDir bool, mtime time.Time) string {
		p := filepath.Join(dir, name)
		if isDir {
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(p, "recs.bin")
			if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(f, mtime, mtime); err != nil {
				t.Fatal(err)
			}
		} else if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return name
	}
	d := strconv.Itoa(dead)
	own := strconv.Itoa(os.Getpid())
	gone := []string{
		mk("listwash-spill-"+d+"-123", false, old),
		mk("listwash-readback-"+d+"-9", false, old),
		mk("listwash-dedup-"+d+"-77", true, old),
	}
	kept := []string{
		mk("listwash-spill-"+d+"-fresh", false, time.Now()), // dead but recent: maybe another namespace
		mk("listwash-spill-"+own+"-1", false, old),          // this process
		mk("listwash-spill-1-1", false, old),                // pid 1 runs
		mk("listwash-dedup-"+d+"-busy", true, time.Now()),   // a file inside is recent
		mk("other-"+d+"-1", false, old),                     // not ours
		mk("listwash-spill-notapid-1", false, old),          // not ours either
		mk("listwash-readback-"+d, false, old),              // no random suffix: not a name we make
	}
	// The busy dir's own mtime is old; only its file is recent.
	os.Chtimes(filepath.Join(dir, "listwash-dedup-"+d+"-busy"), old, old)

	n, err := RemoveStaleSpill(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(gone) {
		t.Errorf("removed %d, want %d", n, len(gone))
	}
	for _, name := range gone {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s not removed", name)
		}
	}
	for _, name := range kept {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s removed: %v", name, err)
		}
	}
}
