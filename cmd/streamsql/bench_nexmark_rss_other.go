//go:build !linux

package main

// peakRSS is the process's peak resident set and where it was read.
type peakRSS struct {
	bytes  int64
	source string
}

// resetPeakRSS does nothing: only Linux shows (and resets) a peak RSS.
func resetPeakRSS() {}

func readPeakRSS() peakRSS { return goHeapSys() }
