package expr

import (
	"testing"

	"github.com/streamsql/streamsql/planner/types"
)

func TestDateTrunc(t *testing.T) {
	ts := col{"ts", tT, ints(mustTS("2024-05-08 07:08:09.123456"), mustTS("1969-12-31 23:59:59.5"), nil, mustTS("2000-02-29 00:00:00"))}
	for unit, want := range map[string]string{
		"microsecond":  "2024-05-08 07:08:09.123456|1969-12-31 23:59:59.5|NULL|2000-02-29 00:00:00",
		"milliseconds": "2024-05-08 07:08:09.123|1969-12-31 23:59:59.5|NULL|2000-02-29 00:00:00",
		"second":       "2024-05-08 07:08:09|1969-12-31 23:59:59|NULL|2000-02-29 00:00:00",
		"minute":       "2024-05-08 07:08:00|1969-12-31 23:59:00|NULL|2000-02-29 00:00:00",
		"HOUR":         "2024-05-08 07:00:00|1969-12-31 23:00:00|NULL|2000-02-29 00:00:00",
		"day":          "2024-05-08 00:00:00|1969-12-31 00:00:00|NULL|2000-02-29 00:00:00",
		"week":         "2024-05-06 00:00:00|1969-12-29 00:00:00|NULL|2000-02-28 00:00:00",
		"month":        "2024-05-01 00:00:00|1969-12-01 00:00:00|NULL|2000-02-01 00:00:00",
		"quarter":      "2024-04-01 00:00:00|1969-10-01 00:00:00|NULL|2000-01-01 00:00:00",
		"year":         "2024-01-01 00:00:00|1969-01-01 00:00:00|NULL|2000-01-01 00:00:00",
		"decade":       "2020-01-01 00:00:00|1960-01-01 00:00:00|NULL|2000-01-01 00:00:00",
		"century":      "2001-01-01 00:00:00|1901-01-01 00:00:00|NULL|1901-01-01 00:00:00",
		"millennium":   "2001-01-01 00:00:00|1001-01-01 00:00:00|NULL|1001-01-01 00:00:00",
	} {
		check(t, "date_trunc('"+unit+"', ts)", want, ts)
	}
	u := col{"u", tV, ints("hour", "month", "day", nil)}
	check(t, "date_trunc(u, ts)", "2024-05-08 07:00:00|1969-12-01 00:00:00|NULL|NULL", ts, u)
	checkErr(t, "date_trunc('fortnight', ts)", `unit "fortnight" not recognized`, ts)
	checkErr(t, "date_trunc(u, ts)", `unit "eon" not recognized`, ts, col{"u", tV, ints("eon", nil, nil, nil)})
	check(t, "date_trunc('month', d)", "2024-02-01 00:00:00|NULL", col{"d", tA, ints(int32(19782), nil)})
}

func TestDateBin(t *testing.T) {
	ts := col{"ts", tT, ints(mustTS("2024-05-06 07:08:09"), mustTS("1969-12-31 23:52:00"), nil)}
	check(t, "date_bin(INTERVAL '15 minutes', ts)", "2024-05-06 07:00:00|1969-12-31 23:45:00|NULL", ts)
	check(t, "date_bin(INTERVAL '15 minutes', ts, TIMESTAMP '2000-01-01 00:05:00')", "2024-05-06 07:05:00|1969-12-31 23:50:00|NULL", ts)
	check(t, "date_bin(INTERVAL '1 day', ts)", "2024-05-06 00:00:00|1969-12-31 00:00:00|NULL", ts)
	checkErr(t, "date_bin(INTERVAL '1 month', ts)", "cannot be binned into intervals containing months", ts)
	checkErr(t, "date_bin(INTERVAL '-1 hour', ts)", "stride must be greater than zero", ts)
	iv := col{"iv", tN, ints(types.IntervalValue{Micros: 3600e6}, types.IntervalValue{Days: 1}, types.IntervalValue{Micros: 60e6})}
	check(t, "date_bin(iv, ts)", "2024-05-06 07:00:00|1969-12-31 00:00:00|NULL", ts, iv)
	o := col{"o", tT, ints(mustTS("2024-01-01 00:30:00"), nil, mustTS("2024-01-01 00:00:00"))}
	check(t, "date_bin(iv, ts, o)", "2024-05-06 06:30:00|NULL|NULL", ts, iv, o)
}

func TestDatePart(t *testing.T) {
	// 2024-05-05 is a Sunday; 2021-01-03 belongs to ISO week 53 of 2020.
	ts := col{"ts", tT, ints(mustTS("2024-05-05 07:08:09.123456"), mustTS("2021-01-03 23:00:00"), nil, mustTS("1969-12-31 23:59:58.5"))}
	for field, want := range map[string]string{
		"year":        "2024|2021|NULL|1969",
		"month":       "5|1|NULL|12",
		"day":         "5|3|NULL|31",
		"hour":        "7|23|NULL|23",
		"minute":      "8|0|NULL|59",
		"second":      "9.123456|0|NULL|58.5",
		"millisecond": "9123|0|NULL|58500",
		"microsecond": "9123456|0|NULL|58500000", // BIGINT when the field is constant
		"dow":         "0|0|NULL|3",
		"isodow":      "7|7|NULL|3",
		"doy":         "126|3|NULL|365",
		"week":        "18|53|NULL|1",
		"isoyear":     "2024|2020|NULL|1970",
		"quarter":     "2|1|NULL|4",
		"epoch":       "1714892889.123456|1609714800|NULL|-1.5",
		"decade":      "202|202|NULL|196",
		"century":     "21|21|NULL|20",
		"millennium":  "3|3|NULL|2",
	} {
		check(t, "date_part('"+field+"', ts)", want, ts)
		if field != "microsecond" { // DOUBLE with a varying field prints 9.123456e+06
			check(t, "extract(f, ts)", want, ts, col{"f", tV, ints(field, field, field, field)})
		}
	}
	iv := col{"iv", tN, ints(types.IntervalValue{Months: 14, Days: 3, Micros: 3723500000}, nil)}
	check(t, "date_part('year', iv)", "1|NULL", iv)
	check(t, "date_part('month', iv)", "2|NULL", iv)
	check(t, "date_part('hour', iv)", "1|NULL", iv)
	check(t, "date_part('second', iv)", "3.5|NULL", iv)
	check(t, "date_part('epoch', iv)", "37004523.5|NULL", iv)
	check(t, "date_part('day', d)", "6|NULL", col{"d", tA, ints(int32(19849), nil)})
	checkErr(t, "date_part('eon', ts)", `unit "eon" not recognized`, ts)
}

func TestToTimestamp(t *testing.T) {
	check(t, "to_timestamp(x)", "2023-11-14 22:13:20|1970-01-01 00:00:01.5|NULL", col{"x", tD, ints(1700000000.0, 1.5, nil)})
	check(t, "to_timestamp(s)", "2024-05-06 07:08:09|NULL", col{"s", tV, ints("2024-05-06T07:08:09Z", nil)})
	checkErr(t, "to_timestamp(s)", "invalid input syntax for type timestamp", col{"s", tV, ints("nope")})
	check(t, "to_date(s)", "2024-05-06|NULL", col{"s", tV, ints("2024-05-06", nil)})
	check(t, "now()", "2024-05-06 12:53:20")
	check(t, "current_date()", "2024-05-06")
	check(t, "now() - x", "2024-05-06 11:53:20|NULL", col{"x", tN, ints(types.IntervalValue{Micros: 3600e6}, nil)})
}
