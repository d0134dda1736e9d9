package expr

import (
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/float16"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

func TestCasts(t *testing.T) {
	s := col{"s", tV, ints(" 42 ", "-7", nil, "+3")}
	check(t, "CAST(s AS INTEGER)", "42|-7|NULL|3", s)
	check(t, "CAST(s AS BIGINT)", "42|-7|NULL|3", s)
	check(t, "CAST(s AS DOUBLE)", "42|-7|NULL|3", s)
	checkErr(t, "CAST(s AS BIGINT)", `invalid input syntax for type bigint: "abc"`, col{"s", tV, ints("1", "abc")})
	checkErr(t, "CAST(s AS INTEGER)", `value "3000000000" is out of range for type integer`, col{"s", tV, ints("3000000000")})
	check(t, "TRY_CAST(s AS BIGINT)", "1|NULL|NULL|5", col{"s", tV, ints("1", "abc", nil, "5")})
	check(t, "CAST(s AS DOUBLE)", "1.5|NaN|-Infinity|Infinity", col{"s", tV, ints("1.5", "NaN", "-Infinity", "inf")})
	checkErr(t, "CAST(s AS DOUBLE)", `invalid input syntax for type double precision: "x"`, col{"s", tV, ints("x")})
	check(t, "CAST(s AS BOOLEAN)", "true|false|true|false|NULL", col{"s", tV, ints("true", "F", " yes", "0", nil)})
	checkErr(t, "CAST(s AS BOOLEAN)", `invalid input syntax for type boolean: "maybe"`, col{"s", tV, ints("maybe")})
	check(t, "CAST(s AS TIMESTAMP)", "2024-05-06 07:08:09.5|2024-05-06 00:00:00|2024-05-06 06:08:09|2024-05-06 07:08:00",
		col{"s", tV, ints("2024-05-06 07:08:09.5", "2024-05-06", "2024-05-06T07:08:09+01:00", "2024-05-06 07:08")})
	checkErr(t, "CAST(s AS TIMESTAMP)", `invalid input syntax for type timestamp: "yesterday"`, col{"s", tV, ints("yesterday")})
	check(t, "CAST(s AS DATE)", "2024-05-06|2024-05-06|NULL", col{"s", tV, ints("2024-05-06", "2024-05-06 23:59:59", nil)})
	check(t, "CAST(s AS INTERVAL)", "1 day 02:00:00|00:05:00", col{"s", tV, ints("1 day 2 hours", "5 minutes")})
	check(t, "TRY_CAST(s AS INTERVAL)", "NULL", col{"s", tV, ints("soon")})
	check(t, "CAST(s AS JSON)", `{"a": 1}|[1, 2]|NULL`, col{"s", tV, ints(`{"a": 1}`, "[1, 2]", nil)})
	checkErr(t, "CAST(s AS JSON)", "invalid input syntax for type json", col{"s", tV, ints(`{"a": }`)})
	check(t, "TRY_CAST(s AS JSON)", `NULL|"x"`, col{"s", tV, ints(`{`, `"x"`)})
	check(t, "CAST(j AS VARCHAR)", `{"a":1}`, col{"j", tJ, ints(`{"a":1}`)})

	d := col{"d", tD, ints(2.5, -2.5, 1e10, nil, 0.49)}
	check(t, "CAST(d AS BIGINT)", "3|-3|10000000000|NULL|0", d)
	checkErr(t, "CAST(d AS INTEGER)", "integer out of range", d)
	check(t, "TRY_CAST(d AS INTEGER)", "3|-3|NULL|NULL|0", d)
	checkErr(t, "CAST(d AS BIGINT)", "bigint out of range", col{"d", tD, ints(math.NaN())})
	check(t, "CAST(d AS VARCHAR)", "2.5|-2.5|10000000000|NULL|0.49", d)
	b := col{"b", tB, ints(int64(3_000_000_000), int64(-5), nil)}
	checkErr(t, "CAST(b AS INTEGER)", "integer out of range", b)
	check(t, "CAST(b AS DOUBLE)", "3000000000|-5|NULL", b)
	check(t, "CAST(b AS VARCHAR)", "3000000000|-5|NULL", b)
	check(t, "CAST(b AS BOOLEAN)", "true|true|NULL", b)
	check(t, "CAST(bo AS INTEGER)", "1|0|NULL", col{"bo", tL, ints(true, false, nil)})
	check(t, "CAST(bo AS VARCHAR)", "true|false|NULL", col{"bo", tL, ints(true, false, nil)})
	i := col{"i", tI, ints(int32(7), nil, int32(-1))}
	check(t, "CAST(i AS BIGINT) * 1000000000000", "7000000000000|NULL|-1000000000000", i)
	ts := col{"ts", tT, ints(mustTS("2024-05-06 07:08:09.123"), mustTS("1969-12-31 23:59:59.999999"), nil)}
	check(t, "CAST(ts AS VARCHAR)", "2024-05-06 07:08:09.123|1969-12-31 23:59:59.999999|NULL", ts)
	check(t, "CAST(ts AS DATE)", "2024-05-06|1969-12-31|NULL", ts)
	check(t, "CAST(CAST(ts AS DATE) AS TIMESTAMP)", "2024-05-06 00:00:00|1969-12-31 00:00:00|NULL", ts)
	check(t, "CAST(iv AS VARCHAR)", "1 year 2 mons 3 days 04:05:06.5", col{"iv", tN, ints(types.IntervalValue{Months: 14, Days: 3, Micros: 14706500000})})
	check(t, "CAST(NULL AS TIMESTAMP)", "NULL")
}

func TestTimestampTextMatchesTypes(t *testing.T) {
	for _, s := range []string{"2024-05-06 07:08:09", "0001-01-01 00:00:00", "9999-12-31 23:59:59.999999",
		"1969-07-20 20:17:40.05", "2000-02-29 12:00:00.000001"} {
		us := mustTS(s)
		if got, want := string(appendTimestamp(nil, us)), types.FormatTimestamp(us); got != want {
			t.Errorf("appendTimestamp(%s) = %s, want %s", s, got, want)
		}
		if v, ok := parseTimestampFast(s); !ok || v != us {
			t.Errorf("parseTimestampFast(%s) = %d %v, want %d", s, v, ok, us)
		}
	}
	for d := int32(-800000); d < 800000; d += 997 {
		if got, want := string(appendDate(nil, d)), types.FormatDate(d); got != want {
			t.Fatalf("appendDate(%d) = %s, want %s", d, got, want)
		}
		y, m, dd := civilFromDays(int64(d))
		if daysFromCivil(y, m, dd) != int64(d) {
			t.Fatalf("civil round trip of %d failed", d)
		}
	}
}

func TestCastArrayNonNative(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := &Context{Mem: mem}
	i8 := array.NewInt8Builder(mem)
	i8.AppendValues([]int8{-3, 4}, []bool{true, false})
	f32 := array.NewFloat32Builder(mem)
	f32.AppendValues([]float32{1.5, 2}, nil)
	f16 := array.NewFloat16Builder(mem)
	f16.AppendValues([]float16.Num{float16.New(0.5), float16.New(-1)}, nil)
	u64 := array.NewUint64Builder(mem)
	u64.AppendValues([]uint64{7, math.MaxUint64}, nil)
	tsms := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Millisecond})
	tsms.AppendValues([]arrow.Timestamp{1500, -1}, nil)
	d64 := array.NewDate64Builder(mem)
	d64.AppendValues([]arrow.Date64{86400000 * 3, 0}, nil)
	ls := array.NewLargeStringBuilder(mem)
	ls.AppendValues([]string{"12", "x"}, []bool{true, true})
	dur := array.NewDurationBuilder(mem, &arrow.DurationType{Unit: arrow.Second})
	dur.AppendValues([]arrow.Duration{90, -1}, nil)
	for _, tc := range []struct {
		b    array.Builder
		to   types.Type
		want string
		err  bool
	}{
		{i8, tI, "-3|NULL", false},
		{f32, tD, "1.5|2", false},
		{f16, tV, "0.5|-1", false},
		{u64, tB, "", true},
		{tsms, tT, "1970-01-01 00:00:01.5|1969-12-31 23:59:59.999", false},
		{d64, tA, "1970-01-04|1970-01-01", false},
		{ls, tB, "", true},
		{dur, tN, "00:01:30|-00:00:01", false},
	} {
		arr := tc.b.NewArray()
		tc.b.Release()
		out, err := CastArray(ctx, arr, tc.to, false)
		if tc.err {
			if err == nil {
				t.Errorf("casting %s to %s: no error", arr.DataType(), tc.to)
				out.Release()
			}
			if tc.to == tB && arr.DataType().ID() == arrow.LARGE_STRING {
				try, err := CastArray(ctx, arr, tc.to, true)
				if err != nil || try.Len() != 2 || !try.IsNull(1) || ScalarValue(try, 0) != int64(12) {
					t.Errorf("try-casting large strings: %v %v", try, err)
				}
				try.Release()
			}
			arr.Release()
			continue
		}
		if err != nil {
			t.Errorf("casting %s to %s: %v", arr.DataType(), tc.to, err)
			arr.Release()
			continue
		}
		if got := strings.Join(formatRows(out, tc.to), "|"); got != tc.want {
			t.Errorf("casting %s to %s = %s, want %s", arr.DataType(), tc.to, got, tc.want)
		}
		if !arrow.TypeEqual(out.DataType(), tc.to.ArrowType()) {
			t.Errorf("casting %s: result type %s", arr.DataType(), out.DataType())
		}
		out.Release()
		arr.Release()
	}
}

// A column whose Arrow type is not native is converted when read.
func TestColumnRefNormalizes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewInt16Builder(mem)
	b.AppendValues([]int16{5, 6}, nil)
	arr := b.NewArray()
	b.Release()
	rec := columnBatch("x", arr)
	arr.Release()
	defer rec.Release()
	e := &logical.Call{Func: "+", Args: []logical.Expr{&logical.ColumnRef{ID: 1, T: tI}, &logical.Literal{Value: int32(1), T: tI}}, T: tI}
	ev, err := Compile(e, Layout{1: 0})
	if err != nil {
		t.Fatal(err)
	}
	out, err := ev.Eval(&Context{Mem: mem}, rec)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	if ScalarValue(out, 0) != int32(6) || ScalarValue(out, 1) != int32(7) {
		t.Errorf("got %v", out)
	}
}
