//go:build unix

package main

import (
	"syscall"
	"time"
)

// processCPUTime is the CPU time (user + system) this process has used so
// far, or -1 where it cannot be read.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
