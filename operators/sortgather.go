package operators

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// sortGather builds a batch of schema s (owned by the caller) whose row k
// is row ri[k] of srcs[bi[k]] (borrowed); with a single source bi may be
// nil. It is the multi-batch counterpart of TakeBatch, writing output
// buffers directly (without builders).
func sortGather(mem memory.Allocator, s *arrow.Schema, srcs []arrow.RecordBatch, bi, ri []int32) (arrow.RecordBatch, error) {
	if len(srcs) == 0 && len(ri) > 0 || len(srcs) > 1 && len(bi) != len(ri) {
		return nil, fmt.Errorf("gathering rows: %d sources, %d batch and %d row indexes", len(srcs), len(bi), len(ri))
	}
	cols := make([]arrow.Array, s.NumFields())
	defer releaseAll(cols)
	arrs := make([]arrow.Array, len(srcs))
	for c := range cols {
		for k, b := range srcs {
			arrs[k] = b.Column(c)
		}
		col, err := sortGatherColumn(mem, s.Field(c).Type, arrs, bi, ri)
		if err != nil {
			return nil, fmt.Errorf("gathering column %s: %w", s.Field(c).Name, err)
		}
		cols[c] = col
	}
	return array.NewRecordBatch(s, cols, int64(len(ri))), nil
}

func sortGatherColumn(mem memory.Allocator, dt arrow.DataType, arrs []arrow.Array, bi, ri []int32) (arrow.Array, error) {
	for _, a := range arrs {
		if !arrow.TypeEqual(a.DataType(), dt) {
			return nil, fmt.Errorf("gathering %s values: source has type %s", dt, a.DataType())
		}
	}
	switch dt.ID() {
	case arrow.INT64, arrow.TIMESTAMP:
		return sortGatherFixed[int64](mem, dt, arrs, bi, ri), nil
	case arrow.INT32, arrow.DATE32:
		return sortGatherFixed[int32](mem, dt, arrs, bi, ri), nil
	case arrow.FLOAT64:
		return sortGatherFixed[float64](mem, dt, arrs, bi, ri), nil
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return sortGatherFixed[arrow.MonthDayNanoInterval](mem, dt, arrs, bi, ri), nil
	case arrow.BOOL:
		return sortGatherBool(mem, arrs, bi, ri), nil
	case arrow.STRING:
		return sortGatherString(mem, arrs, bi, ri)
	case arrow.NULL:
		return array.NewNull(len(ri)), nil
	}
	return nil, fmt.Errorf("gathering %s values: unsupported type", dt)
}

// sortGatherValidity returns the validity bitmap of the gathered rows and
// their NULL count, or nil and 0 when no source has NULLs.
func sortGatherValidity(mem memory.Allocator, arrs []arrow.Array, bi, ri []int32) (*memory.Buffer, int) {
	n := len(ri)
	anyNulls := false
	for _, a := range arrs {
		if a.NullN() > 0 {
			anyNulls = true
			break
		}
	}
	if !anyNulls {
		return nil, 0
	}
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	bm := buf.Bytes()
	clear(bm)
	nulls := 0
	if len(arrs) == 1 {
		a := arrs[0]
		for k, r := range ri[:n] {
			if a.IsValid(int(r)) {
				bm[k>>3] |= 1 << (k & 7)
			} else {
				nulls++
			}
		}
		return buf, nulls
	}
	for k := range n {
		if arrs[bi[k]].IsValid(int(ri[k])) {
			bm[k>>3] |= 1 << (k & 7)
		} else {
			nulls++
		}
	}
	return buf, nulls
}

// sortFixedValues returns the values of a fixed-width array, offset applied.
func sortFixedValues[T arrow.FixedWidthType](a arrow.Array) []T {
	d := a.Data()
	buf := d.Buffers()[1]
	if buf == nil || a.Len() == 0 {
		return nil
	}
	return arrow.GetData[T](buf.Bytes())[d.Offset() : d.Offset()+a.Len()]
}

func sortGatherFixed[T arrow.FixedWidthType](mem memory.Allocator, dt arrow.DataType, arrs []arrow.Array, bi, ri []int32) arrow.Array {
	n := len(ri)
	vals := make([][]T, len(arrs))
	for k, a := range arrs {
		vals[k] = sortFixedValues[T](a)
	}
	var zero T
	buf := memory.NewResizableBuffer(mem)
	defer buf.Release()
	buf.Resize(n * int(unsafe.Sizeof(zero)))
	out := arrow.GetData[T](buf.Bytes())[:n]
	if len(vals) == 1 {
		src := vals[0]
		for k, r := range ri[:n] {
			out[k] = src[r]
		}
	} else {
		for k := range out {
			out[k] = vals[bi[k]][ri[k]]
		}
	}
	valid, nulls := sortGatherValidity(mem, arrs, bi, ri)
	if valid != nil {
		defer valid.Release()
	}
	data := array.NewData(dt, n, []*memory.Buffer{valid, buf}, nil, nulls, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

func sortGatherBool(mem memory.Allocator, arrs []arrow.Array, bi, ri []int32) arrow.Array {
	n := len(ri)
	buf := memory.NewResizableBuffer(mem)
	defer buf.Release()
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	bm := buf.Bytes()
	clear(bm)
	srcs := make([]*array.Boolean, len(arrs))
	for k, a := range arrs {
		srcs[k] = a.(*array.Boolean)
	}
	for k, r := range ri {
		src := srcs[0]
		if bi != nil {
			src = srcs[bi[k]]
		}
		if src.Value(int(r)) {
			bm[k>>3] |= 1 << (k & 7)
		}
	}
	valid, nulls := sortGatherValidity(mem, arrs, bi, ri)
	if valid != nil {
		defer valid.Release()
	}
	data := array.NewData(arrow.FixedWidthTypes.Boolean, n, []*memory.Buffer{valid, buf}, nil, nulls, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

func sortGatherString(mem memory.Allocator, arrs []arrow.Array, bi, ri []int32) (arrow.Array, error) {
	n := len(ri)
	offs := make([][]int32, len(arrs))
	datas := make([][]byte, len(arrs))
	for k, a := range arrs {
		s := a.(*array.String)
		offs[k] = s.ValueOffsets()
		if b := s.Data().Buffers()[2]; b != nil {
			datas[k] = b.Bytes()
		}
	}
	total := 0
	if len(arrs) == 1 {
		o := offs[0]
		for _, r := range ri {
			total += int(o[r+1] - o[r])
		}
	} else {
		for k, r := range ri {
			o := offs[bi[k]]
			total += int(o[r+1] - o[r])
		}
	}
	if total > math.MaxInt32 {
		return nil, fmt.Errorf("gathering strings: %d bytes exceed the 2 GiB limit of a string array", total)
	}
	obuf := memory.NewResizableBuffer(mem)
	defer obuf.Release()
	obuf.Resize((n + 1) * 4)
	outOffs := arrow.GetData[int32](obuf.Bytes())[:n+1]
	dbuf := memory.NewResizableBuffer(mem)
	defer dbuf.Release()
	dbuf.Resize(total)
	out := dbuf.Bytes()[:total]
	pos := int32(0)
	outOffs[0] = 0
	if len(arrs) == 1 {
		o, d := offs[0], datas[0]
		for k, r := range ri {
			pos += int32(copy(out[pos:], d[o[r]:o[r+1]]))
			outOffs[k+1] = pos
		}
	} else {
		for k, r := range ri {
			o := offs[bi[k]]
			pos += int32(copy(out[pos:], datas[bi[k]][o[r]:o[r+1]]))
			outOffs[k+1] = pos
		}
	}
	valid, nulls := sortGatherValidity(mem, arrs, bi, ri)
	if valid != nil {
		defer valid.Release()
	}
	data := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{valid, obuf, dbuf}, nil, nulls, 0)
	defer data.Release()
	return array.MakeFromData(data), nil
}
