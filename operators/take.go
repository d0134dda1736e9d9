package operators

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Take gathers arr[idx[0]], arr[idx[1]], … into a new array owned by the
// caller. An index of -1 produces NULL (outer joins use it for the
// unmatched side). arr is borrowed.
func Take(mem memory.Allocator, arr arrow.Array, idx []int32) (arrow.Array, error) {
	switch a := arr.(type) {
	case *array.Int64:
		return takeFixed(array.NewInt64Builder(mem), a, idx), nil
	case *array.Int32:
		return takeFixed(array.NewInt32Builder(mem), a, idx), nil
	case *array.Float64:
		return takeFixed(array.NewFloat64Builder(mem), a, idx), nil
	case *array.Timestamp:
		return takeFixed(array.NewTimestampBuilder(mem, a.DataType().(*arrow.TimestampType)), a, idx), nil
	case *array.Date32:
		return takeFixed(array.NewDate32Builder(mem), a, idx), nil
	case *array.MonthDayNanoInterval:
		return takeFixed(array.NewMonthDayNanoIntervalBuilder(mem), a, idx), nil
	case *array.Boolean:
		return takeFixed(array.NewBooleanBuilder(mem), a, idx), nil
	case *array.String:
		return takeString(mem, a, idx), nil
	case *array.Null:
		return array.NewNull(len(idx)), nil
	}
	return nil, fmt.Errorf("taking from %s array: unsupported type", arr.DataType())
}

type valueArray[T any] interface {
	arrow.Array
	Value(int) T
}

type valueBuilder[T any] interface {
	array.Builder
	Append(T)
}

func takeFixed[T any, A valueArray[T], B valueBuilder[T]](b B, a A, idx []int32) arrow.Array {
	defer b.Release()
	b.Reserve(len(idx))
	nulls := a.NullN() > 0
	for _, i := range idx {
		if i < 0 || (nulls && a.IsNull(int(i))) {
			b.AppendNull()
			continue
		}
		b.Append(a.Value(int(i)))
	}
	return b.NewArray()
}

func takeString(mem memory.Allocator, a *array.String, idx []int32) arrow.Array {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(len(idx))
	size := 0
	for _, i := range idx {
		if i >= 0 {
			size += a.ValueLen(int(i))
		}
	}
	b.ReserveData(size)
	nulls := a.NullN() > 0
	for _, i := range idx {
		if i < 0 || (nulls && a.IsNull(int(i))) {
			b.AppendNull()
			continue
		}
		b.Append(a.Value(int(i)))
	}
	return b.NewArray()
}

// TakeBatch gathers rows of every column of b (borrowed) into a new batch
// owned by the caller, with schema s (nil: b's schema).
func TakeBatch(mem memory.Allocator, b arrow.RecordBatch, idx []int32, s *arrow.Schema) (arrow.RecordBatch, error) {
	if s == nil {
		s = b.Schema()
	}
	cols := make([]arrow.Array, b.NumCols())
	defer releaseAll(cols)
	for i := range cols {
		c, err := Take(mem, b.Column(i), idx)
		if err != nil {
			return nil, err
		}
		cols[i] = c
	}
	return array.NewRecordBatch(s, cols, int64(len(idx))), nil
}

func releaseAll(arrs []arrow.Array) {
	for _, a := range arrs {
		if a != nil {
			a.Release()
		}
	}
}

// ReleaseAll releases every non-nil array; a helper for deferred cleanup.
func ReleaseAll(arrs []arrow.Array) { releaseAll(arrs) }
