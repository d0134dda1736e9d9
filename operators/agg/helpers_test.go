package agg

// Test helpers shared by the accumulator and group-table tests.

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// mk builds an array of type t from Go values; nil is NULL.
func mk(t *testing.T, mem memory.Allocator, typ types.Type, vals ...any) arrow.Array {
	t.Helper()
	b := array.NewBuilder(mem, typ.ArrowType())
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
			continue
		}
		switch b := b.(type) {
		case *array.Int32Builder:
			b.Append(int32(v.(int)))
		case *array.Int64Builder:
			b.Append(int64(v.(int)))
		case *array.Float64Builder:
			b.Append(v.(float64))
		case *array.StringBuilder:
			b.Append(v.(string))
		case *array.BooleanBuilder:
			b.Append(v.(bool))
		case *array.TimestampBuilder:
			b.Append(arrow.Timestamp(v.(int)))
		case *array.Date32Builder:
			b.Append(arrow.Date32(v.(int)))
		case *array.MonthDayNanoIntervalBuilder:
			b.Append(v.(arrow.MonthDayNanoInterval))
		case *array.NullBuilder:
			t.Fatalf("non-null value %v for NULL type", v)
		default:
			t.Fatalf("mk: unsupported builder %T", b)
		}
	}
	return b.NewArray()
}

func mkBool(t *testing.T, mem memory.Allocator, vals ...any) *array.Boolean {
	return mk(t, mem, types.BooleanType, vals...).(*array.Boolean)
}

// goValues converts an array to Go values, nil for NULL; ints become int.
func goValues(t *testing.T, a arrow.Array) []any {
	t.Helper()
	out := make([]any, a.Len())
	if a.DataType().ID() == arrow.NULL {
		return out
	}
	for i := range out {
		if a.IsNull(i) {
			continue
		}
		switch a := a.(type) {
		case *array.Int32:
			out[i] = int(a.Value(i))
		case *array.Int64:
			out[i] = int(a.Value(i))
		case *array.Float64:
			out[i] = a.Value(i)
		case *array.String:
			out[i] = a.Value(i)
		case *array.Boolean:
			out[i] = a.Value(i)
		case *array.Timestamp:
			out[i] = int(a.Value(i))
		case *array.Date32:
			out[i] = int(a.Value(i))
		case *array.MonthDayNanoInterval:
			out[i] = a.Value(i)
		default:
			t.Fatalf("goValues: unsupported array %T", a)
		}
	}
	return out
}

func iv(m, d int32, ns int64) arrow.MonthDayNanoInterval {
	return arrow.MonthDayNanoInterval{Months: m, Days: d, Nanoseconds: ns}
}

// mustNew is New for arguments that must be accepted.
func mustNew(t testing.TB, fn string, argTypes []types.Type, distinct bool) Accumulator {
	t.Helper()
	acc, _, err := New(fn, argTypes, distinct)
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

// refKey renders row i of cols as a string equal exactly when the keys
// are equal for grouping.
func refKey(t *testing.T, cols []arrow.Array, i int) string {
	var sb strings.Builder
	for _, c := range cols {
		one := array.NewSlice(c, int64(i), int64(i+1))
		v := goValues(t, one)[0]
		one.Release()
		if f, ok := v.(float64); ok {
			switch {
			case f == 0:
				v = 0.0
			case math.IsNaN(f):
				v = "NaN"
			}
		}
		fmt.Fprintf(&sb, "%T:%v|", v, v)
	}
	return sb.String()
}

// benchColumns builds benchRows rows in batches of benchBatch, one array
// of type dts[c] per column; row appends one row to the builders.
func benchColumns(mem memory.Allocator, dts []arrow.DataType, row func(bs []array.Builder)) [][]arrow.Array {
	var cols [][]arrow.Array
	for lo := 0; lo < benchRows; lo += benchBatch {
		bs := make([]array.Builder, len(dts))
		for c, dt := range dts {
			bs[c] = array.NewBuilder(mem, dt)
		}
		for i := 0; i < benchBatch; i++ {
			row(bs)
		}
		arrs := make([]arrow.Array, len(bs))
		for c, b := range bs {
			arrs[c] = b.NewArray()
			b.Release()
		}
		cols = append(cols, arrs)
	}
	return cols
}
