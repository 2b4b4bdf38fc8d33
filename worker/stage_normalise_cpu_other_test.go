//go:build !unix

package worker

import "time"

func processCPU() time.Duration { return 0 }
