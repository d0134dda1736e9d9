//go:build !js && !wasip1

package file

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// srcConst marks an output column filled from the file's constants.
const srcConst = -3

// constKey names a cached constant column: output position and value.
type constKey struct {
	col int
	v   any
}

// constColumn returns n rows of the open file's constant for output
// column i: built once per value at the batch size and sliced, so a
// column that is the same throughout a file (an Iceberg identity
// partition) costs neither decoding nor a per-row copy, and the files of
// one partition share the array.
func (r *parquetReader) constColumn(i int, n int64) (arrow.Array, error) {
	k := constKey{col: i, v: r.fileConsts[r.proj[i]]}
	if a, ok := r.constArr[k]; ok && int64(a.Len()) >= n {
		return array.NewSlice(a, 0, n), nil
	}
	if a, ok := r.constArr[k]; ok {
		a.Release()
		delete(r.constArr, k)
	}
	size := max(n, int64(r.want()))
	a, err := constArray(r.mem, r.out.Field(i).Type, k.v, int(size))
	if err != nil {
		return nil, err
	}
	if r.constArr == nil {
		r.constArr = map[constKey]arrow.Array{}
	}
	r.constArr[k] = a
	return array.NewSlice(a, 0, n), nil
}

// constArray builds n copies of v (nil: NULL) as an array of type dt. v
// takes the Go type of a logical literal: string, int64 (BIGINT,
// TIMESTAMP µs), int32 (INTEGER, DATE days), float64, bool.
func constArray(mem memory.Allocator, dt arrow.DataType, v any, n int) (arrow.Array, error) {
	if v == nil {
		return array.MakeArrayOfNull(mem, dt, n), nil
	}
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	b.Reserve(n)
	bad := func() (arrow.Array, error) {
		return nil, fmt.Errorf("constant %v (%T) does not fit type %s", v, v, dt)
	}
	switch b := b.(type) {
	case *array.StringBuilder:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		b.ReserveData(n * len(s))
		for range n {
			b.Append(s)
		}
	case *array.Int64Builder:
		x, ok := v.(int64)
		if !ok {
			return bad()
		}
		for range n {
			b.UnsafeAppend(x)
		}
	case *array.Int32Builder:
		x, ok := v.(int32)
		if !ok {
			return bad()
		}
		for range n {
			b.UnsafeAppend(x)
		}
	case *array.Float64Builder:
		x, ok := v.(float64)
		if !ok {
			return bad()
		}
		for range n {
			b.UnsafeAppend(x)
		}
	case *array.BooleanBuilder:
		x, ok := v.(bool)
		if !ok {
			return bad()
		}
		for range n {
			b.UnsafeAppend(x)
		}
	case *array.TimestampBuilder:
		x, ok := v.(int64)
		if !ok {
			return bad()
		}
		for range n {
			b.UnsafeAppend(arrow.Timestamp(x))
		}
	case *array.Date32Builder:
		x, ok := v.(int32)
		if !ok {
			return bad()
		}
		for range n {
			b.UnsafeAppend(arrow.Date32(x))
		}
	default:
		return nil, fmt.Errorf("constant columns of type %s are not supported", dt)
	}
	return b.NewArray(), nil
}
