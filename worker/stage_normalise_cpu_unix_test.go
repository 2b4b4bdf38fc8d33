//go:build unix

package worker

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time used by the process (user + system). On a
// shared machine it measures the work done better than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
