package expr

import (
	"math"
	"testing"

	"github.com/streamsql/streamsql/planner/types"
)

var (
	tI = types.IntegerType
	tB = types.BigintType
	tD = types.DoubleType
	tV = types.VarcharType
	tT = types.TimestampType
	tA = types.DateType
	tN = types.IntervalType
	tJ = types.JSONType
	tL = types.BooleanType
)

func TestArithmetic(t *testing.T) {
	x := col{"x", tB, ints(int64(7), int64(-7), nil, int64(0))}
	y := col{"y", tB, ints(int64(2), int64(2), int64(5), int64(3))}
	i := col{"i", tI, ints(int32(7), nil, int32(-3))}
	d := col{"d", tD, ints(1.5, nil, -2.0)}
	check(t, "x + y", "9|-5|NULL|3", x, y)
	check(t, "x - y", "5|-9|NULL|-3", x, y)
	check(t, "x * y", "14|-14|NULL|0", x, y)
	check(t, "x / y", "3|-3|NULL|0", x, y)
	check(t, "x % y", "1|-1|NULL|0", x, y)
	check(t, "mod(x, y)", "1|-1|NULL|0", x, y)
	check(t, "x + 1", "8|-6|NULL|1", x)
	check(t, "10 - x", "3|17|NULL|10", x)
	check(t, "x * 2 + i", "21|NULL|NULL", col{"x", tB, ints(int64(7), int64(1), nil)}, i)
	check(t, "i / 2", "3|NULL|-1", i)
	check(t, "-i", "-7|NULL|3", i)
	check(t, "d * 2", "3|NULL|-4", d)
	check(t, "d / 4", "0.375|NULL|-0.5", d)
	check(t, "i + d", "8.5|NULL|-5", i, d)
	check(t, "d % 1", "0.5|NULL|-0", d)
	check(t, "-d", "-1.5|NULL|2", d)
	check(t, "x / 0", "", col{"x", tB, []any{}})
}

func TestArithmeticErrors(t *testing.T) {
	big := col{"x", tB, ints(int64(math.MaxInt64), int64(1))}
	checkErr(t, "x + 1", "bigint out of range", big)
	checkErr(t, "x * 2", "bigint out of range", big)
	checkErr(t, "-x - 2", "bigint out of range", big)
	checkErr(t, "x + 1", "integer out of range", col{"x", tI, ints(int32(math.MaxInt32))})
	checkErr(t, "x * x", "integer out of range", col{"x", tI, ints(int32(1 << 16))})
	checkErr(t, "-x", "bigint out of range", col{"x", tB, ints(int64(math.MinInt64))})
	checkErr(t, "abs(x)", "integer out of range", col{"x", tI, ints(int32(math.MinInt32))})
	checkErr(t, "x / y", "division by zero", col{"x", tB, ints(int64(1), int64(2))}, col{"y", tB, ints(int64(1), int64(0))})
	checkErr(t, "x % 0", "division by zero", col{"x", tI, ints(int32(1))})
	checkErr(t, "x / 0.0", "division by zero", col{"x", tD, ints(1.0)})
	checkErr(t, "x / y", "division by zero", col{"x", tD, ints(1.0)}, col{"y", tD, ints(0.0)})
	checkErr(t, "1 / 0", "division by zero")
	// NULL rows never fail, whatever their (garbage) values.
	check(t, "x / y", "NULL|2", col{"x", tB, ints(nil, int64(4))}, col{"y", tB, ints(int64(0), int64(2))})
	check(t, "x / 0", "NULL|NULL", col{"x", tB, ints(nil, nil)})
	check(t, "x + y", "NULL", col{"x", tB, ints(int64(math.MaxInt64))}, col{"y", tB, ints(nil)})
	checkErr(t, "x / -1", "bigint out of range", col{"x", tB, ints(int64(math.MinInt64))})
	check(t, "x % -1", "0", col{"x", tB, ints(int64(math.MinInt64))})
}

func TestTemporalArithmetic(t *testing.T) {
	ts := col{"ts", tT, ints(mustTS("2024-01-31 10:00:00"), nil, mustTS("1969-12-31 23:00:00"))}
	iv := col{"iv", tN, ints(types.IntervalValue{Months: 1}, types.IntervalValue{Days: 1}, types.IntervalValue{Micros: 7200e6})}
	check(t, "ts + iv", "2024-02-29 10:00:00|NULL|1970-01-01 01:00:00", ts, iv)
	check(t, "ts - iv", "2023-12-31 10:00:00|NULL|1969-12-31 21:00:00", ts, iv)
	check(t, "iv + ts", "2024-02-29 10:00:00|NULL|1970-01-01 01:00:00", ts, iv)
	check(t, "ts + INTERVAL '1 hour 30 minutes'", "2024-01-31 11:30:00|NULL|1970-01-01 00:30:00", ts)
	check(t, "ts - INTERVAL '1 month'", "2023-12-31 10:00:00|NULL|1969-11-30 23:00:00", ts)
	check(t, "ts - TIMESTAMP '2024-01-30 08:00:00'", "1 day 02:00:00|NULL|-19752 days -09:00:00", ts)
	d := col{"d", tA, ints(int32(19753), nil)} // 2024-01-31
	check(t, "d + 1", "2024-02-01|NULL", d)
	check(t, "d - 31", "2023-12-31|NULL", d)
	check(t, "d - DATE '2024-01-01'", "30|NULL", d)
	check(t, "d + INTERVAL '1 month'", "2024-02-29 00:00:00|NULL", d)
	check(t, "d + INTERVAL '36 hours'", "2024-02-01 12:00:00|NULL", d)
	check(t, "iv * 2", "2 mons|2 days|04:00:00", iv)
	check(t, "2 * iv", "2 mons|2 days|04:00:00", iv)
	check(t, "iv * 1.5", "1 mon 15 days|1 day 12:00:00|03:00:00", iv)
	check(t, "iv / 2", "15 days|12:00:00|01:00:00", iv)
	check(t, "iv + INTERVAL '1 day'", "1 mon 1 day|2 days|1 day 02:00:00", iv)
	check(t, "iv - iv", "00:00:00|00:00:00|00:00:00", iv)
	check(t, "-iv", types.FormatInterval(types.IntervalValue{Months: -1})+"|"+types.FormatInterval(types.IntervalValue{Days: -1})+"|-02:00:00", iv)
	checkErr(t, "iv / 0", "division by zero", iv)
}

func TestComparisons(t *testing.T) {
	x := col{"x", tB, ints(int64(1), int64(5), nil, int64(10), int64(5), int64(-3), int64(7), int64(8), int64(9))}
	check(t, "x > 5", "false|false|NULL|true|false|false|true|true|true", x)
	check(t, "5 < x", "false|false|NULL|true|false|false|true|true|true", x)
	check(t, "x = 5", "false|true|NULL|false|true|false|false|false|false", x)
	check(t, "x <> 5", "true|false|NULL|true|false|true|true|true|true", x)
	check(t, "x <= 5", "true|true|NULL|false|true|true|false|false|false", x)
	check(t, "x >= 8", "false|false|NULL|true|false|false|false|true|true", x)
	check(t, "x < 2.5", "true|false|NULL|false|false|true|false|false|false", x)
	a := col{"a", tI, ints(int32(1), int32(2), nil, int32(3))}
	b := col{"b", tB, ints(int64(1), int64(3), int64(1), nil)}
	check(t, "a = b", "true|false|NULL|NULL", a, b)
	check(t, "a < b", "false|true|NULL|NULL", a, b)
	check(t, "a >= b", "true|false|NULL|NULL", a, b)
	nan := math.NaN()
	f := col{"f", tD, ints(1.0, nan, -0.0, math.Inf(1), nil)}
	check(t, "f > 2", "false|true|false|true|NULL", f)
	check(t, "f >= 2", "false|true|false|true|NULL", f)
	check(t, "f < 2", "true|false|true|false|NULL", f)
	check(t, "f = 0", "false|false|true|false|NULL", f)
	check(t, "f = CAST('NaN' AS DOUBLE)", "false|true|false|false|NULL", f)
	check(t, "f < CAST('NaN' AS DOUBLE)", "true|false|true|true|NULL", f)
	check(t, "f = f", "true|true|true|true|NULL", f)
	check(t, "f > 1 - f", "true|false|false|true|NULL", f)
	s := col{"s", tV, ints("apple", "banana", nil, "", "apple pie")}
	check(t, "s = 'apple'", "true|false|NULL|false|false", s)
	check(t, "s < 'b'", "true|false|NULL|true|true", s)
	check(t, "s >= 'apple'", "true|true|NULL|false|true", s)
	check(t, "s > s || 'x'", "false|false|NULL|false|false", s)
	bo := col{"bo", tL, ints(true, false, nil)}
	check(t, "bo = true", "true|false|NULL", bo)
	check(t, "bo < true", "false|true|NULL", bo)
	check(t, "bo > bo", "false|false|NULL", bo)
	iv := col{"iv", tN, ints(types.IntervalValue{Months: 1}, types.IntervalValue{Days: 30}, types.IntervalValue{Micros: 3600e6 * 24 * 31})}
	check(t, "iv = INTERVAL '30 days'", "true|true|false", iv)
	check(t, "iv > INTERVAL '1 month'", "false|false|true", iv)
	ts := col{"ts", tT, ints(mustTS("2024-01-01 00:00:00"), mustTS("2024-01-01 00:00:01"))}
	check(t, "ts > DATE '2024-01-01'", "false|true", ts)
	check(t, "ts = TIMESTAMP '2024-01-01 00:00:00'", "true|false", ts)
	dt := col{"dt", tA, ints(int32(0), int32(1))}
	check(t, "dt < DATE '1970-01-02'", "true|false", dt)
	check(t, "x IS DISTINCT FROM 5", "true|false|true|true|false|true|true|true|true", x)
	check(t, "a IS NOT DISTINCT FROM b", "true|false|false|false", a, b)
	check(t, "NULL IS NOT DISTINCT FROM b", "false|false|false|true", b)
	check(t, "s IS DISTINCT FROM NULL", "true|true|false|true|true", s)
}

func TestLogic(t *testing.T) {
	a := col{"a", tL, ints(true, true, true, false, false, false, nil, nil, nil)}
	b := col{"b", tL, ints(true, false, nil, true, false, nil, true, false, nil)}
	check(t, "a AND b", "true|false|NULL|false|false|false|NULL|false|NULL", a, b)
	check(t, "a OR b", "true|true|true|true|false|NULL|true|NULL|NULL", a, b)
	check(t, "NOT a", "false|false|false|true|true|true|NULL|NULL|NULL", a)
	check(t, "a AND true", "true|true|true|false|false|false|NULL|NULL|NULL", a)
	check(t, "a AND NULL", "NULL|NULL|NULL|false|false|false|NULL|NULL|NULL", a)
	check(t, "a OR NULL", "true|true|true|NULL|NULL|NULL|NULL|NULL|NULL", a)
	check(t, "false AND a", "false|false|false|false|false|false|false|false|false", a)
	check(t, "a IS NULL", "false|false|false|false|false|false|true|true|true", a)
	check(t, "b IS NOT NULL", "true|true|false|true|true|false|true|true|false", b)
	// The right side runs only where the left does not decide.
	x := col{"x", tB, ints(int64(0), int64(5), nil, int64(20))}
	check(t, "x <> 0 AND 10 / x > 1", "false|true|NULL|false", x)
	check(t, "x = 0 OR 10 / x > 1", "true|true|NULL|false", x)
	checkErr(t, "x >= 0 AND 10 / x > 1", "division by zero", x)
}

func TestCase(t *testing.T) {
	x := col{"x", tB, ints(int64(0), int64(5), nil, int64(-2))}
	check(t, "CASE WHEN x <> 0 THEN 10 / x END", "NULL|2|NULL|-5", x)
	check(t, "CASE WHEN x = 0 THEN 'zero' WHEN x > 0 THEN 'pos' ELSE 'neg or null' END", "zero|pos|neg or null|neg or null", x)
	check(t, "CASE WHEN x > 0 THEN x ELSE 1.5 END", "1.5|5|1.5|1.5", x)
	check(t, "CASE WHEN true THEN x END", "0|5|NULL|-2", x)
	check(t, "CASE WHEN false THEN 1 / 0 ELSE x END", "0|5|NULL|-2", x)
	check(t, "CASE WHEN x IS NULL THEN 100 / x ELSE 100 / (x + 1) END", "100|16|NULL|-100", x)
	check(t, "CASE WHEN x > 100 THEN 1 END", "NULL|NULL|NULL|NULL", x)
	checkErr(t, "CASE WHEN x >= 0 THEN 10 / x END", "division by zero", x)
	s := col{"s", tV, ints("a", nil, "c")}
	check(t, "CASE WHEN s = 'a' THEN s || '!' WHEN s IS NULL THEN 'none' ELSE upper(s) END", "a!|none|C", s)
	check(t, "coalesce(x, 42)", "0|5|42|-2", x)
	check(t, "coalesce(NULL, x, 10 / x)", "0|5|NULL|-2", x)
	check(t, "coalesce(s, 'z')", "a|z|c", s)
	check(t, "nullif(x, 5)", "0|NULL|NULL|-2", x)
	check(t, "greatest(x, 1, NULL)", "1|5|1|1", x)
	check(t, "least(x, 1)", "0|1|1|-2", x)
	check(t, "greatest(s, 'b')", "b|b|c", s)
}

func TestInList(t *testing.T) {
	x := col{"x", tB, ints(int64(1), int64(2), nil, int64(4))}
	check(t, "x IN (1, 3, 4)", "true|false|NULL|true", x)
	check(t, "x NOT IN (1, 3, 4)", "false|true|NULL|false", x)
	check(t, "x IN (1, NULL)", "true|NULL|NULL|NULL", x)
	check(t, "x NOT IN (1, NULL)", "false|NULL|NULL|NULL", x)
	check(t, "x IN (1.0, 2.5)", "true|false|NULL|false", x)
	y := col{"y", tB, ints(int64(9), int64(2), int64(3), nil)}
	check(t, "x IN (y, 1)", "true|true|NULL|NULL", x, y)
	check(t, "x NOT IN (y, 7)", "true|false|NULL|NULL", x, y)
	s := col{"s", tV, ints("a", "b", nil)}
	check(t, "s IN ('a', 'c')", "true|false|NULL", s)
	f := col{"f", tD, ints(math.NaN(), -0.0, 1.0)}
	check(t, "f IN (CAST('NaN' AS DOUBLE), 0)", "true|true|false", f)
	check(t, "3 IN (1, 2, 3)", "true")
}

func mustTS(s string) int64 {
	v, err := types.ParseTimestamp(s)
	if err != nil {
		panic(err)
	}
	return v
}
