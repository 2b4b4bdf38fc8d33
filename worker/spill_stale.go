package worker

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Temp files of a wash (row spill, dedup spill, read-back copies) are
// named listwash-<kind>-<pid>-<random> in the temp dir and removed when
// the wash ends. A process that is killed cannot remove them, and they
// hold delivery rows in clear: RemoveStaleSpill, run when a worker or
// wash starts, removes those of processes that no longer exist.

// spillPattern is the os.CreateTemp/MkdirTemp pattern of kind's files.
func spillPattern(kind string) string {
	return "listwash-" + kind + "-" + strconv.Itoa(os.Getpid()) + "-*"
}

// StaleSpillAge is how old (last modified) a dead process's temp files
// must be before RemoveStaleSpill removes them: a margin for temp dirs
// shared between PID namespaces (containers), where another container's
// live process looks dead from here.
var StaleSpillAge = time.Hour

// RemoveStaleSpill removes the wash temp files in dir ("" = $TMPDIR) of
// processes that no longer run, last modified more than StaleSpillAge
// ago. It returns how many it removed.
func RemoveStaleSpill(dir string) (int, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	removed := 0
	var errs []error
	for _, e := range entries {
		pid, ok := spillPID(e.Name())
		if !ok || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if time.Since(lastModified(p)) < StaleSpillAge {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}

// spillPID parses listwash-<kind>-<pid>-<random>.
func spillPID(name string) (int, bool) {
	for _, kind := range []string{"spill", "dedup", "readback"} {
		rest, ok := strings.CutPrefix(name, "listwash-"+kind+"-")
		if !ok {
			continue
		}
		digits, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(digits)
		return pid, ok && err == nil && pid > 0
	}
	return 0, false
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// lastModified is the newest modification time of p and, for a
// directory, of the files in it.
func lastModified(p string) time.Time {
	fi, err := os.Stat(p)
	if err != nil {
		return time.Now()
	}
	t := fi.ModTime()
	if fi.IsDir() {
		entries, _ := os.ReadDir(p)
		for _, e := range entries {
			if info, err := e.Info(); err == nil && info.ModTime().After(t) {
				t = info.ModTime()
			}
		}
	}
	return t
}
