package main

import "runtime"

// goHeapSys is the fallback for peak RSS: the bytes of heap the Go
// runtime obtained from the system (it never shrinks below the peak much,
// since the runtime returns memory lazily).
func goHeapSys() peakRSS {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return peakRSS{bytes: int64(m.HeapSys), source: "Go heap sys"}
}
