package operators

import (
	"math"
	"time"
)

// AddSat is x+y saturated to the int64 range: window ends and lateness
// bounds near the ends of time must not wrap around.
func AddSat(x, y int64) int64 {
	r := x + y
	if y > 0 && r < x {
		return math.MaxInt64
	}
	if y < 0 && r > x {
		return math.MinInt64
	}
	return r
}

// FormatEventTime renders an event time or watermark (µs since the
// epoch) for messages such as the reasons of late rows: RFC 3339 in UTC,
// "-inf" before the first watermark and "+inf" at the end of input.
func FormatEventTime(us int64) string {
	switch us {
	case math.MinInt64:
		return "-inf"
	case WatermarkEnd:
		return "+inf"
	}
	return time.UnixMicro(us).UTC().Format("2006-01-02T15:04:05.999999Z")
}
