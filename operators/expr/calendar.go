package expr

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// Proleptic Gregorian calendar arithmetic on day numbers (days since
// 1970-01-01), after Howard Hinnant's algorithms: much faster than going
// through time.Time in per-row loops.

const dayMicros = int64(86400e6)

// civilFromDays converts a day number to year, month (1-12), day (1-31).
func civilFromDays(z int64) (int64, int, int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := int(doy - (153*mp+2)/5 + 1)
	m := int(mp + 3)
	if mp >= 10 {
		m = int(mp - 9)
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// daysFromCivil converts year, month (1-12), day to a day number.
func daysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// daysIn is the number of days in month m of year y.
func daysIn(y int64, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// isoDow is the ISO day of week of a day number: Monday 1 … Sunday 7.
func isoDow(days int64) int { return int(floorMod(days+3, 7)) + 1 }

// isoWeek returns the ISO-8601 year and week number of a day number.
func isoWeek(days int64) (int64, int) {
	thursday := days - int64(isoDow(days)-1) + 3
	y, _, _ := civilFromDays(thursday)
	doy := thursday - daysFromCivil(y, 1, 1)
	return y, int(doy/7) + 1
}

// addMonths adds n calendar months to a timestamp, clamping the day to the
// end of a shorter month (Jan 31 + 1 month = Feb 29 in a leap year).
func addMonths(us int64, n int32) int64 {
	if n == 0 {
		return us
	}
	days := floorDiv(us, dayMicros)
	tod := us - days*dayMicros
	y, m, d := civilFromDays(days)
	total := y*12 + int64(m-1) + int64(n)
	ny, nm := floorDiv(total, 12), int(floorMod(total, 12))+1
	d = min(d, daysIn(ny, nm))
	return daysFromCivil(ny, nm, d)*dayMicros + tod
}

// addInterval adds an interval to a timestamp the way Postgres does:
// months first (calendar), then days, then the sub-day time.
func addInterval(us int64, iv arrow.MonthDayNanoInterval) int64 {
	return addMonths(us, iv.Months) + int64(iv.Days)*dayMicros + iv.Nanoseconds/1000
}
