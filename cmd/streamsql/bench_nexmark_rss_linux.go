//go:build linux

package main

import (
	"os"
	"strconv"
	"strings"
)

// peakRSS is the process's peak resident set and where it was read.
type peakRSS struct {
	bytes  int64
	source string
}

// resetPeakRSS resets VmHWM to the current RSS (Linux ≥ 4.0: writing 5
// to clear_refs), so each run's peak is its own; where that fails the
// peak is the process's since its start.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// readPeakRSS reads VmHWM from /proc/self/status, or falls back to the Go
// heap's size.
func readPeakRSS() peakRSS {
	b, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			v, ok := strings.CutPrefix(line, "VmHWM:")
			if !ok {
				continue
			}
			f := strings.Fields(v)
			if len(f) != 2 || f[1] != "kB" {
				break
			}
			if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				return peakRSS{bytes: kb << 10, source: "VmHWM"}
			}
		}
	}
	return goHeapSys()
}
