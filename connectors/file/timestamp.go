package file

import (
	"github.com/streamsql/streamsql/planner/types"
)

// parseTimestamp reads timestamp text as µs since the epoch, UTC, with the
// semantics of types.ParseTimestamp. The common shapes
// `YYYY-MM-DD[ T]HH:MM:SS[.f…][Z|±HH:MM]` and `YYYY-MM-DD` are parsed
// without allocating; anything else goes through types.ParseTimestamp.
func parseTimestamp[T ~string | ~[]byte](b T) (int64, error) {
	if us, ok := fastTimestamp(b); ok {
		return us, nil
	}
	return types.ParseTimestamp(string(b))
}

// parseDate reads YYYY-MM-DD as days since the epoch.
func parseDate[T ~string | ~[]byte](b T) (int32, error) {
	if len(b) == 10 {
		if d, ok := fastDate(b); ok {
			return int32(d), nil
		}
	}
	return types.ParseDate(string(b))
}

// fastDate parses exactly YYYY-MM-DD into days since the epoch.
func fastDate[T ~string | ~[]byte](b T) (int64, bool) {
	if len(b) < 10 || b[4] != '-' || b[7] != '-' {
		return 0, false
	}
	y, ok1 := digits(b[0:4])
	m, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	return daysFromCivil(y, m, d), true
}

// fastTimestamp is the allocation-free path of parseTimestamp; ok is false
// when the text has another shape (which the slow path may still accept).
func fastTimestamp[T ~string | ~[]byte](b T) (int64, bool) {
	days, ok := fastDate(b)
	if !ok {
		return 0, false
	}
	if len(b) == 10 {
		return days * 86400e6, true
	}
	if len(b) < 19 || (b[10] != ' ' && b[10] != 'T') || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	h, ok1 := digits(b[11:13])
	mi, ok2 := digits(b[14:16])
	s, ok3 := digits(b[17:19])
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || s > 59 {
		return 0, false
	}
	us := days*86400e6 + (h*3600+mi*60+s)*1e6
	i := 19
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		var frac, scale int64 = 0, 100000
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if i-start >= 9 {
				return 0, false
			}
			frac += int64(b[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == start {
			return 0, false
		}
		us += frac
	}
	if i == len(b) {
		return us, true
	}
	switch b[i] {
	case 'Z':
		if i+1 == len(b) {
			return us, true
		}
	case '+', '-':
		if len(b)-i != 6 || b[i+3] != ':' {
			return 0, false
		}
		oh, ok1 := digits(b[i+1 : i+3])
		om, ok2 := digits(b[i+4 : i+6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, false
		}
		off := (oh*3600 + om*60) * 1e6
		if b[i] == '+' {
			return us - off, true
		}
		return us + off, true
	}
	return 0, false
}

// digits parses a short run of ASCII digits.
func digits[T ~string | ~[]byte](b T) (int64, bool) {
	var n int64
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil converts a proleptic Gregorian date to days since
// 1970-01-01 (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
