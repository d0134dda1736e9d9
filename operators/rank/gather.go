package rank

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// gatherBatch builds a batch of schema s from rows ri[k] of srcs[bi[k]]
// (bi nil: every row from srcs[0]). srcs are borrowed and have s's column
// types; nil entries of srcs are never referenced. The result belongs to
// the caller. Unlike operators.TakeBatch it reads from several batches
// and copes with every column type (non-native ones through slicing).
func gatherBatch(mem memory.Allocator, s *arrow.Schema, srcs []arrow.RecordBatch, bi, ri []int32) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, s.NumFields())
	defer releaseArrays(cols)
	arrs := make([]arrow.Array, len(srcs))
	for c := range cols {
		for i, b := range srcs {
			arrs[i] = nil
			if b != nil {
				arrs[i] = b.Column(c)
			}
		}
		col, err := gatherColumn(mem, s.Field(c).Type, arrs, bi, ri)
		if err != nil {
			return nil, fmt.Errorf("gathering column %s: %w", s.Field(c).Name, err)
		}
		cols[c] = col
	}
	return array.NewRecordBatch(s, cols, int64(len(ri))), nil
}

func releaseArrays(arrs []arrow.Array) {
	for _, a := range arrs {
		if a != nil {
			a.Release()
		}
	}
}

type valueArray[T any] interface {
	arrow.Array
	Value(int) T
}

type valueBuilder[T any] interface {
	array.Builder
	Append(T)
}

// gatherColumn gathers one column; see gatherBatch.
func gatherColumn(mem memory.Allocator, dt arrow.DataType, arrs []arrow.Array, bi, ri []int32) (arrow.Array, error) {
	switch dt.ID() {
	case arrow.INT64:
		return gatherTyped[int64, *array.Int64](array.NewInt64Builder(mem), arrs, bi, ri)
	case arrow.INT32:
		return gatherTyped[int32, *array.Int32](array.NewInt32Builder(mem), arrs, bi, ri)
	case arrow.FLOAT64:
		return gatherTyped[float64, *array.Float64](array.NewFloat64Builder(mem), arrs, bi, ri)
	case arrow.TIMESTAMP:
		return gatherTyped[arrow.Timestamp, *array.Timestamp](array.NewTimestampBuilder(mem, dt.(*arrow.TimestampType)), arrs, bi, ri)
	case arrow.DATE32:
		return gatherTyped[arrow.Date32, *array.Date32](array.NewDate32Builder(mem), arrs, bi, ri)
	case arrow.BOOL:
		return gatherTyped[bool, *array.Boolean](array.NewBooleanBuilder(mem), arrs, bi, ri)
	case arrow.STRING:
		return gatherStrings(mem, arrs, bi, ri)
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return gatherTyped[arrow.MonthDayNanoInterval, *array.MonthDayNanoInterval](array.NewMonthDayNanoIntervalBuilder(mem), arrs, bi, ri)
	case arrow.NULL:
		return array.NewNull(len(ri)), nil
	}
	return gatherSlices(mem, dt, arrs, bi, ri)
}

func gatherTyped[T any, A valueArray[T], B valueBuilder[T]](b B, arrs []arrow.Array, bi, ri []int32) (arrow.Array, error) {
	defer b.Release()
	typed := make([]A, len(arrs))
	for i, a := range arrs {
		if a == nil {
			continue
		}
		t, ok := a.(A)
		if !ok {
			return nil, fmt.Errorf("source array is %s, want %s", a.DataType(), b.Type())
		}
		typed[i] = t
	}
	b.Reserve(len(ri))
	for k, r := range ri {
		a := typed[0]
		if bi != nil {
			a = typed[bi[k]]
		}
		if a.IsNull(int(r)) {
			b.AppendNull()
			continue
		}
		b.Append(a.Value(int(r)))
	}
	return b.NewArray(), nil
}

// gatherStrings is gatherTyped for strings, reserving the bytes first so
// the value buffer is not copied as it grows.
func gatherStrings(mem memory.Allocator, arrs []arrow.Array, bi, ri []int32) (arrow.Array, error) {
	typed := make([]*array.String, len(arrs))
	for i, a := range arrs {
		if a == nil {
			continue
		}
		t, ok := a.(*array.String)
		if !ok {
			return nil, fmt.Errorf("source array is %s, want utf8", a.DataType())
		}
		typed[i] = t
	}
	src := func(k int) *array.String {
		if bi == nil {
			return typed[0]
		}
		return typed[bi[k]]
	}
	size := 0
	for k, r := range ri {
		size += src(k).ValueLen(int(r))
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(len(ri))
	b.ReserveData(size)
	for k, r := range ri {
		if a := src(k); a.IsNull(int(r)) {
			b.AppendNull()
		} else {
			b.Append(a.Value(int(r)))
		}
	}
	return b.NewArray(), nil
}

// gatherSlices gathers a column of any type by concatenating slices of
// consecutive source rows: slower, but for types without a typed path.
func gatherSlices(mem memory.Allocator, dt arrow.DataType, arrs []arrow.Array, bi, ri []int32) (arrow.Array, error) {
	src := func(k int) int {
		if bi == nil {
			return 0
		}
		return int(bi[k])
	}
	if len(ri) == 0 {
		return array.MakeArrayOfNull(mem, dt, 0), nil
	}
	var parts []arrow.Array
	for k := 0; k < len(ri); {
		s, lo := src(k), ri[k]
		hi := lo + 1
		k++
		for k < len(ri) && src(k) == s && ri[k] == hi {
			hi++
			k++
		}
		parts = append(parts, array.NewSlice(arrs[s], int64(lo), int64(hi)))
	}
	out, err := array.Concatenate(parts, mem)
	releaseArrays(parts)
	return out, err
}

// arrayBytes is the size of the buffers of a (shared buffers counted in
// full: an estimate for state reporting).
func arrayBytes(a arrow.ArrayData) int64 {
	var n int64
	for _, buf := range a.Buffers() {
		if buf != nil {
			n += int64(buf.Len())
		}
	}
	for _, c := range a.Children() {
		n += arrayBytes(c)
	}
	return n
}
