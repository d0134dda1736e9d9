package agg

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// valuesFunc exposes an array's values as a Go slice (aliasing the array's
// buffer where the layout allows, else filled into buf), or reports that
// the array has another type. Values of NULL rows are unspecified.
type valuesFunc[T any] func(a arrow.Array, buf []T) ([]T, bool)

func int32Values(a arrow.Array, _ []int32) ([]int32, bool) {
	x, ok := a.(*array.Int32)
	if !ok {
		return nil, false
	}
	return x.Int32Values(), true
}

func int64Values(a arrow.Array, _ []int64) ([]int64, bool) {
	x, ok := a.(*array.Int64)
	if !ok {
		return nil, false
	}
	return x.Int64Values(), true
}

func float64Values(a arrow.Array, _ []float64) ([]float64, bool) {
	x, ok := a.(*array.Float64)
	if !ok {
		return nil, false
	}
	return x.Float64Values(), true
}

func timestampValues(a arrow.Array, _ []arrow.Timestamp) ([]arrow.Timestamp, bool) {
	x, ok := a.(*array.Timestamp)
	if !ok {
		return nil, false
	}
	return x.TimestampValues(), true
}

func date32Values(a arrow.Array, _ []arrow.Date32) ([]arrow.Date32, bool) {
	x, ok := a.(*array.Date32)
	if !ok {
		return nil, false
	}
	return x.Date32Values(), true
}

func intervalValues(a arrow.Array, _ []arrow.MonthDayNanoInterval) ([]arrow.MonthDayNanoInterval, bool) {
	x, ok := a.(*array.MonthDayNanoInterval)
	if !ok {
		return nil, false
	}
	return x.MonthDayNanoIntervalValues(), true
}

// stringValues returns strings aliasing the array's buffer: callers that
// keep one must strings.Clone it.
func stringValues(a arrow.Array, buf []string) ([]string, bool) {
	x, ok := a.(*array.String)
	if !ok {
		return nil, false
	}
	n := x.Len()
	if cap(buf) < n {
		buf = make([]string, n)
	}
	buf = buf[:n]
	for i := range buf {
		buf[i] = x.Value(i)
	}
	return buf, true
}

func boolValues(a arrow.Array, buf []bool) ([]bool, bool) {
	x, ok := a.(*array.Boolean)
	if !ok {
		return nil, false
	}
	n := x.Len()
	if cap(buf) < n {
		buf = make([]bool, n)
	}
	buf = buf[:n]
	for i := range buf {
		buf[i] = x.Value(i)
	}
	return buf, true
}

// sliceBuilder is implemented by the Arrow builders of every type we
// produce.
type sliceBuilder[T any] interface {
	array.Builder
	AppendValues(v []T, valid []bool)
}

// buildArray makes an array of type dt from vals; valid (nil: all valid)
// marks the non-NULL rows. The array is owned by the caller.
func buildArray[T any](mem memory.Allocator, dt arrow.DataType, vals []T, valid []bool) (arrow.Array, error) {
	bld := array.NewBuilder(mem, dt)
	defer bld.Release()
	b, ok := bld.(sliceBuilder[T])
	if !ok {
		return nil, fmt.Errorf("building %s array: builder %T does not take %T values", dt, bld, vals)
	}
	b.AppendValues(vals, valid)
	return b.NewArray(), nil
}
