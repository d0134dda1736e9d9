package types

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Text forms of temporal values, shared by literals, casts, file readers and
// every output format so a value prints the same everywhere.

// FormatTimestamp renders µs since the epoch as `YYYY-MM-DD HH:MM:SS[.ffffff]`
// in UTC, with trailing zeros of the fraction trimmed.
func FormatTimestamp(micros int64) string {
	t := time.UnixMicro(micros).UTC()
	s := t.Format("2006-01-02 15:04:05")
	if frac := micros % 1e6; frac != 0 {
		if frac < 0 {
			frac += 1e6
		}
		f := strings.TrimRight(fmt.Sprintf("%06d", frac), "0")
		s += "." + f
	}
	return s
}

// FormatDate renders days since the epoch as YYYY-MM-DD.
func FormatDate(days int32) string {
	return time.Unix(int64(days)*86400, 0).UTC().Format("2006-01-02")
}

// FormatInterval renders an interval the way Postgres does:
// `1 year 2 mons 3 days 04:05:06.5`, `00:00:00` for zero.
func FormatInterval(v IntervalValue) string {
	var parts []string
	if y, m := v.Months/12, v.Months%12; y != 0 || m != 0 {
		if y != 0 {
			parts = append(parts, plural(int64(y), "year"))
		}
		if m != 0 {
			parts = append(parts, plural(int64(m), "mon"))
		}
	}
	if v.Days != 0 {
		parts = append(parts, plural(int64(v.Days), "day"))
	}
	if v.Micros != 0 || len(parts) == 0 {
		us := v.Micros
		sign := ""
		if us < 0 {
			sign, us = "-", -us
		}
		h, m, s, f := us/3600e6, us/60e6%60, us/1e6%60, us%1e6
		t := fmt.Sprintf("%s%02d:%02d:%02d", sign, h, m, s)
		if f != 0 {
			t += "." + strings.TrimRight(fmt.Sprintf("%06d", f), "0")
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, " ")
}

func plural(n int64, unit string) string {
	if n == 1 { // Postgres: "1 day" but "-1 days"
		return fmt.Sprintf("%d %s", n, unit)
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

var timestampLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999 -07",
	"2006-01-02 15:04:05.999999999-07",
	"2006-01-02T15:04:05.999999999-07",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseTimestamp reads ISO-8601 / RFC 3339 text (`2026-03-01 00:00:01.824`,
// `2026-03-01T00:00:01Z`, `2026-03-01T01:00:00+01:00`, `2026-03-01`) as µs
// since the epoch, UTC. Text without an offset is UTC.
func ParseTimestamp(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if len(s) < 10 || s[4] != '-' {
		return 0, fmt.Errorf("parsing timestamp %q: not ISO-8601", s)
	}
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMicro(), nil
		}
	}
	return 0, fmt.Errorf("parsing timestamp %q: not ISO-8601", s)
}

// LooksLikeTimestamp is a cheap pre-check used by schema inference before
// calling ParseTimestamp.
func LooksLikeTimestamp(s string) bool {
	if len(s) < 10 || len(s) > 40 {
		return false
	}
	for i, c := range s[:10] {
		if i == 4 || i == 7 {
			if c != '-' {
				return false
			}
		} else if c < '0' || c > '9' {
			return false
		}
	}
	_, err := ParseTimestamp(s)
	return err == nil
}

// ParseDate reads YYYY-MM-DD as days since the epoch.
func ParseDate(s string) (int32, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("parsing date %q: want YYYY-MM-DD", s)
	}
	return int32(t.Unix() / 86400), nil
}

// unitMicros maps fixed-length units to microseconds; months and days are
// kept apart in IntervalValue.
var unitMicros = map[string]int64{
	"microsecond": 1, "us": 1, "millisecond": 1e3, "ms": 1e3, "second": 1e6, "sec": 1e6, "s": 1e6,
	"minute": 60e6, "min": 60e6, "m": 60e6, "hour": 3600e6, "h": 3600e6, "hr": 3600e6,
}

// IntervalUnit canonicalises a unit word: plural and abbreviated forms map to
// microsecond, millisecond, second, minute, hour, day, week, month, quarter,
// year, decade, century. ok is false for anything else.
func IntervalUnit(u string) (string, bool) {
	u = strings.ToLower(strings.TrimSpace(u))
	switch u {
	case "us", "usec", "usecs", "microsecond", "microseconds":
		return "microsecond", true
	case "ms", "msec", "msecs", "millisecond", "milliseconds":
		return "millisecond", true
	case "s", "sec", "secs", "second", "seconds":
		return "second", true
	case "m", "min", "mins", "minute", "minutes":
		return "minute", true
	case "h", "hr", "hrs", "hour", "hours":
		return "hour", true
	case "d", "day", "days":
		return "day", true
	case "w", "week", "weeks":
		return "week", true
	case "mon", "mons", "month", "months":
		return "month", true
	case "quarter", "quarters":
		return "quarter", true
	case "y", "yr", "yrs", "year", "years":
		return "year", true
	case "decade", "decades":
		return "decade", true
	case "century", "centuries":
		return "century", true
	}
	return "", false
}

// AddUnit adds n of a canonical unit to v.
func (v IntervalValue) AddUnit(n float64, unit string) (IntervalValue, error) {
	switch unit {
	case "year":
		v.Months += int32(n * 12)
	case "decade":
		v.Months += int32(n * 120)
	case "century":
		v.Months += int32(n * 1200)
	case "quarter":
		v.Months += int32(n * 3)
	case "month":
		whole := math.Trunc(n)
		v.Months += int32(whole)
		v.Days += int32((n - whole) * 30)
	case "week":
		v.Days += int32(n * 7)
	case "day":
		whole := math.Trunc(n)
		v.Days += int32(whole)
		v.Micros += int64(math.Round((n - whole) * 86400e6))
	default:
		m, ok := unitMicros[unit]
		if !ok {
			return v, fmt.Errorf("unknown interval unit %q", unit)
		}
		v.Micros += int64(math.Round(n * float64(m)))
	}
	return v, nil
}

// ParseInterval reads Postgres interval text: `1 hour`, `5 minutes 3 s`,
// `1 day 02:00:00`, `-2 days`, `01:30:00`. With a non-empty unit (from
// `INTERVAL '5' MINUTE`) the text is a single number of that unit, or for
// `HOUR TO MINUTE` style forms an `H:M[:S]` clock value.
func ParseInterval(text, unit string) (IntervalValue, error) {
	var v IntervalValue
	text = strings.TrimSpace(text)
	if unit != "" {
		u, ok := IntervalUnit(unit)
		if !ok {
			return v, fmt.Errorf("parsing interval: unknown unit %q", unit)
		}
		if strings.Contains(text, ":") {
			return parseClock(v, text)
		}
		n, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return v, fmt.Errorf("parsing interval %q: want a number of %ss", text, u)
		}
		return v.AddUnit(n, u)
	}
	f := strings.Fields(strings.ToLower(text))
	if len(f) == 0 {
		return v, fmt.Errorf("parsing interval %q: empty", text)
	}
	for i := 0; i < len(f); i++ {
		if strings.Contains(f[i], ":") {
			var err error
			if v, err = parseClock(v, f[i]); err != nil {
				return v, err
			}
			continue
		}
		num, rest := splitNumber(f[i])
		n, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return v, fmt.Errorf("parsing interval %q: expected a number at %q", text, f[i])
		}
		if rest == "" {
			if i+1 >= len(f) {
				return v, fmt.Errorf("parsing interval %q: number without a unit", text)
			}
			i++
			rest = f[i]
		}
		u, ok := IntervalUnit(rest)
		if !ok {
			return v, fmt.Errorf("parsing interval %q: unknown unit %q", text, rest)
		}
		if v, err = v.AddUnit(n, u); err != nil {
			return v, err
		}
	}
	return v, nil
}

// splitNumber splits "5min" into "5" and "min".
func splitNumber(s string) (string, string) {
	i := 0
	for i < len(s) && (s[i] == '-' || s[i] == '+' || s[i] == '.' || (s[i] >= '0' && s[i] <= '9')) {
		i++
	}
	return s[:i], s[i:]
}

func parseClock(v IntervalValue, s string) (IntervalValue, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return v, fmt.Errorf("parsing interval clock %q: want H:M[:S]", s)
	}
	var us int64
	for i, p := range parts {
		n, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return v, fmt.Errorf("parsing interval clock %q: %q is not a number", s, p)
		}
		us += int64(math.Round(n * float64([]int64{3600e6, 60e6, 1e6}[i])))
	}
	if neg {
		us = -us
	}
	v.Micros += us
	return v, nil
}

// FormatValue renders a Go value of type t (see logical.Literal for the
// representation) as SQL text for output: NULL for nil.
func FormatValue(v any, t Type) string {
	if v == nil {
		return "NULL"
	}
	switch t.Kind {
	case Timestamp:
		if us, ok := v.(int64); ok {
			return FormatTimestamp(us)
		}
	case Date:
		if d, ok := v.(int32); ok {
			return FormatDate(d)
		}
	case Interval:
		if iv, ok := v.(IntervalValue); ok {
			return FormatInterval(iv)
		}
	case Double:
		if f, ok := v.(float64); ok {
			return FormatDouble(f)
		}
	}
	return fmt.Sprint(v)
}

// FormatDouble prints a float the shortest way that reads back exactly,
// with Postgres' spellings of the special values.
func FormatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	// Like Postgres, use plain notation unless the exponent is below -4
	// or at least 15 (1704067200, not 1.7040672e+09).
	if i := strings.IndexByte(s, 'e'); i >= 0 {
		if exp, err := strconv.Atoi(s[i+1:]); err == nil && exp >= -4 && exp < 15 {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
	}
	return s
}
