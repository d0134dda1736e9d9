package main

import (
	"bufio"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// The CLI's GC defaults. Scans and aggregates allocate a batch's worth of
// short-lived buffers per column per batch while keeping little live
// heap, so Go's default (collect whenever the heap doubles) collects many
// times a second and costs a third of a full Iceberg scan. streamsql lets
// the heap grow 4× the live data between collections instead, and caps
// that with a soft memory limit (half the machine's memory) so a job with
// a large live state collects early rather than running out of memory.
// GOGC and GOMEMLIMIT in the environment override both.
const (
	defaultGCPercent   = 400
	memoryLimitPercent = 50
)

func init() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		if total := totalMemory(); total > 0 {
			debug.SetMemoryLimit(total / 100 * memoryLimitPercent)
		}
	}
}

// totalMemory is the machine's memory in bytes from /proc/meminfo, 0 when
// unknown (other systems keep Go's default of no limit).
func totalMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0
		}
		return kb * 1024
	}
	return 0
}
