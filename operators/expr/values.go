package expr

import (
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// ScalarValue reads row i of arr as the Go value representation of
// logical.Literal (nil for NULL): bool, int32 (INTEGER, DATE days), int64
// (BIGINT, TIMESTAMP µs), float64, string (copied out of the array),
// types.IntervalValue. Non-native Arrow types read as the SQL type
// types.FromArrow maps them to (int8 → int32, timestamp[ms] → µs, …).
func ScalarValue(arr arrow.Array, i int) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.Boolean:
		return a.Value(i)
	case *array.Int32:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return strings.Clone(a.Value(i))
	case *array.Timestamp:
		return timestampMicros(int64(a.Value(i)), a.DataType().(*arrow.TimestampType).Unit)
	case *array.Date32:
		return int32(a.Value(i))
	case *array.MonthDayNanoInterval:
		return fromMDN(a.Value(i))
	case *array.Int8, *array.Int16, *array.Uint8, *array.Uint16:
		return smallInt(a, i)
	case *array.Uint32:
		return int64(a.Value(i))
	case *array.Uint64:
		return int64(a.Value(i))
	case *array.Float32:
		return float64(a.Value(i))
	case *array.Float16:
		return float64(a.Value(i).Float32())
	case *array.LargeString:
		return strings.Clone(a.Value(i))
	case *array.StringView:
		return strings.Clone(a.Value(i))
	case *array.Date64:
		return date64Days(int64(a.Value(i)))
	case *array.Duration:
		return durationInterval(int64(a.Value(i)), a.DataType().(*arrow.DurationType).Unit)
	}
	return nil
}

// date64Days converts a date64 (milliseconds since the epoch) to days.
func date64Days(ms int64) int32 { return int32(floorDiv(ms, 86400000)) }

// durationInterval converts a duration of v units to an interval.
func durationInterval(v int64, unit arrow.TimeUnit) types.IntervalValue {
	return types.IntervalValue{Micros: timestampMicros(v, unit)}
}

// timestampMicros converts v in unit to microseconds (truncating toward
// minus infinity for nanoseconds).
func timestampMicros(v int64, unit arrow.TimeUnit) int64 {
	switch unit {
	case arrow.Second:
		return v * 1e6
	case arrow.Millisecond:
		return v * 1e3
	case arrow.Nanosecond:
		return floorDiv(v, 1e3)
	}
	return v
}

// coerce converts a Go value to the exact representation of type t,
// accepting any Go integer or float kind where the conversion is lossless.
func coerce(v any, t types.Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	bad := func() (any, error) {
		return nil, fmt.Errorf("representing %v (%T) as %s: unsupported value", v, v, t)
	}
	switch t.Kind {
	case types.Null:
		return bad()
	case types.Boolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return bad()
	case types.Varchar, types.JSON:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return bad()
	case types.Interval:
		if iv, ok := v.(types.IntervalValue); ok {
			return iv, nil
		}
		return bad()
	case types.Double:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		}
		if n, ok := asInt64(v); ok {
			return float64(n), nil
		}
		return bad()
	}
	n, ok := asInt64(v)
	if !ok {
		return bad()
	}
	switch t.Kind {
	case types.Integer, types.Date:
		if n < math.MinInt32 || n > math.MaxInt32 {
			return bad()
		}
		return int32(n), nil
	}
	return n, nil // Bigint, Timestamp
}

func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	case uint:
		if uint64(x) <= math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}

// MakeArray builds an array of n copies of v (Go literal representation,
// see logical.Literal; other Go integer kinds are accepted when they fit)
// of type t. A nil v gives n NULLs.
func MakeArray(mem memory.Allocator, v any, t types.Type, n int) (arrow.Array, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	cv, err := coerce(v, t)
	if err != nil {
		return nil, fmt.Errorf("making array: %w", err)
	}
	if cv == nil {
		return allNull(mem, t, n), nil
	}
	dt := t.ArrowType()
	switch x := cv.(type) {
	case bool:
		buf, bits := newBitmap(mem, n)
		if x {
			bitutil.SetBitsTo(bits, 0, int64(n), true)
		}
		return finish(dt, n, 0, nil, buf), nil
	case int32:
		return finish(dt, n, 0, nil, fill(mem, n, x)), nil
	case int64:
		return finish(dt, n, 0, nil, fill(mem, n, x)), nil
	case float64:
		return finish(dt, n, 0, nil, fill(mem, n, x)), nil
	case types.IntervalValue:
		return finish(dt, n, 0, nil, fill(mem, n, toMDN(x))), nil
	case string:
		return repeatString(mem, x, n), nil
	}
	return nil, fmt.Errorf("making array of %s: unsupported value %T", t, cv)
}

func fill[T arrow.FixedWidthType](mem memory.Allocator, n int, v T) *memory.Buffer {
	buf, out := newFixed[T](mem, n)
	for i := range out {
		out[i] = v
	}
	return buf
}

func repeatString(mem memory.Allocator, s string, n int) arrow.Array {
	offs, o := newFixed[int32](mem, n+1)
	l := int32(len(s))
	for i := range o {
		o[i] = int32(i) * l
	}
	data := memory.NewResizableBuffer(mem)
	data.Resize(len(s) * n)
	d := data.Bytes()
	if len(d) > 0 {
		copy(d, s)
		for filled := len(s); filled < len(d); filled *= 2 {
			copy(d[filled:], d[:filled])
		}
	}
	return finish(arrow.BinaryTypes.String, n, 0, nil, offs, data)
}

// toMDN converts an interval to Arrow's month-day-nanosecond form.
func toMDN(v types.IntervalValue) arrow.MonthDayNanoInterval {
	return arrow.MonthDayNanoInterval{Months: v.Months, Days: v.Days, Nanoseconds: v.Micros * 1000}
}

// fromMDN converts Arrow's month-day-nanosecond form to an interval.
func fromMDN(v arrow.MonthDayNanoInterval) types.IntervalValue {
	return types.IntervalValue{Months: v.Months, Days: v.Days, Micros: v.Nanoseconds / 1000}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 {
	m := a % b
	if m != 0 && ((m < 0) != (b < 0)) {
		m += b
	}
	return m
}
