package timejoin

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
)

// picker collects rows, each from any of several batches (or NULL), to
// gather into new arrays: the rows of one side of a join's output, which
// come from many buffered chunks. The batches are borrowed and must stay
// valid until columns is called.
type picker struct {
	srcs   []arrow.RecordBatch
	index  map[arrow.RecordBatch]int32
	last   arrow.RecordBatch
	lastIx int32
	refs   []ref
}

// ref is row of srcs[src]; src -1 is a NULL row.
type ref struct{ src, row int32 }

func (p *picker) add(b arrow.RecordBatch, row int32) {
	if b == nil {
		p.refs = append(p.refs, ref{src: -1})
		return
	}
	if b != p.last {
		if p.index == nil {
			p.index = map[arrow.RecordBatch]int32{}
		}
		ix, ok := p.index[b]
		if !ok {
			ix = int32(len(p.srcs))
			p.srcs = append(p.srcs, b)
			p.index[b] = ix
		}
		p.last, p.lastIx = b, ix
	}
	p.refs = append(p.refs, ref{src: p.lastIx, row: row})
}

func (p *picker) reset() {
	clear(p.srcs)
	p.srcs = p.srcs[:0]
	clear(p.index)
	p.last, p.lastIx = nil, 0
	p.refs = p.refs[:0]
}

// columns gathers the picked rows of every field into new arrays owned by
// the caller.
func (p *picker) columns(mem memory.Allocator, fields []arrow.Field) ([]arrow.Array, error) {
	cols := make([]arrow.Array, len(fields))
	arrs := make([]arrow.Array, len(p.srcs))
	for c, f := range fields {
		for i, b := range p.srcs {
			arrs[i] = b.Column(c)
		}
		col, err := pickColumn(mem, f.Type, arrs, p.refs)
		if err != nil {
			operators.ReleaseAll(cols)
			return nil, fmt.Errorf("gathering column %s: %w", f.Name, err)
		}
		cols[c] = col
	}
	return cols, nil
}

// pickable reports whether pickColumn gathers columns of type dt.
func pickable(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.INT64, arrow.INT32, arrow.FLOAT64, arrow.TIMESTAMP, arrow.DATE32,
		arrow.INTERVAL_MONTH_DAY_NANO, arrow.BOOL, arrow.STRING, arrow.NULL:
		return true
	}
	return false
}

func pickColumn(mem memory.Allocator, dt arrow.DataType, arrs []arrow.Array, refs []ref) (arrow.Array, error) {
	switch dt.ID() {
	case arrow.INT64:
		return pickNumeric(array.NewInt64Builder(mem), arrs, refs, (*array.Int64).Int64Values)
	case arrow.INT32:
		return pickNumeric(array.NewInt32Builder(mem), arrs, refs, (*array.Int32).Int32Values)
	case arrow.FLOAT64:
		return pickNumeric(array.NewFloat64Builder(mem), arrs, refs, (*array.Float64).Float64Values)
	case arrow.TIMESTAMP:
		return pickNumeric(array.NewTimestampBuilder(mem, dt.(*arrow.TimestampType)), arrs, refs, (*array.Timestamp).TimestampValues)
	case arrow.DATE32:
		return pickNumeric(array.NewDate32Builder(mem), arrs, refs, (*array.Date32).Date32Values)
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return pickValues[arrow.MonthDayNanoInterval](array.NewMonthDayNanoIntervalBuilder(mem), arrs, refs)
	case arrow.BOOL:
		return pickValues[bool](array.NewBooleanBuilder(mem), arrs, refs)
	case arrow.STRING:
		return pickStrings(array.NewStringBuilder(mem), arrs, refs)
	case arrow.NULL:
		return array.NewNull(len(refs)), nil
	}
	return nil, fmt.Errorf("unsupported type %s", dt)
}

// typedArrays asserts every array is an A.
func typedArrays[A arrow.Array](arrs []arrow.Array) ([]A, error) {
	out := make([]A, len(arrs))
	for i, a := range arrs {
		v, ok := a.(A)
		if !ok {
			return nil, fmt.Errorf("unexpected array type %s", a.DataType())
		}
		out[i] = v
	}
	return out, nil
}

type numericBuilder[T any] interface {
	array.Builder
	UnsafeAppend(T)
	UnsafeAppendBoolToBitmap(bool)
}

// pickNumeric gathers fixed-width values straight from the sources'
// value slices: the hot path of every join's output.
func pickNumeric[T any, A arrow.Array, B numericBuilder[T]](b B, arrs []arrow.Array, refs []ref, values func(A) []T) (arrow.Array, error) {
	defer b.Release()
	typed, err := typedArrays[A](arrs)
	if err != nil {
		return nil, err
	}
	vals := make([][]T, len(typed))
	nulls := make([]bool, len(typed))
	for i, a := range typed {
		vals[i], nulls[i] = values(a), a.NullN() > 0
	}
	b.Reserve(len(refs))
	for _, r := range refs {
		if r.src < 0 || nulls[r.src] && arrs[r.src].IsNull(int(r.row)) {
			b.UnsafeAppendBoolToBitmap(false)
			continue
		}
		b.UnsafeAppend(vals[r.src][r.row])
	}
	return b.NewArray(), nil
}

func pickStrings(b *array.StringBuilder, arrs []arrow.Array, refs []ref) (arrow.Array, error) {
	defer b.Release()
	typed, err := typedArrays[*array.String](arrs)
	if err != nil {
		return nil, err
	}
	size := 0
	for _, r := range refs {
		if r.src >= 0 {
			size += typed[r.src].ValueLen(int(r.row))
		}
	}
	b.Reserve(len(refs))
	b.ReserveData(size)
	for _, r := range refs {
		if r.src < 0 || typed[r.src].IsNull(int(r.row)) {
			b.AppendNull()
			continue
		}
		b.Append(typed[r.src].Value(int(r.row)))
	}
	return b.NewArray(), nil
}

type valueArray[T any] interface {
	arrow.Array
	Value(int) T
}

type valueBuilder[T any] interface {
	array.Builder
	Append(T)
}

func pickValues[T any, B valueBuilder[T]](b B, arrs []arrow.Array, refs []ref) (arrow.Array, error) {
	defer b.Release()
	typed, err := typedArrays[valueArray[T]](arrs)
	if err != nil {
		return nil, err
	}
	b.Reserve(len(refs))
	for _, r := range refs {
		if r.src < 0 || typed[r.src].IsNull(int(r.row)) {
			b.AppendNull()
			continue
		}
		b.Append(typed[r.src].Value(int(r.row)))
	}
	return b.NewArray(), nil
}

// pairWriter builds output batches of (left row, right row) pairs, either
// side possibly NULL, in batches of at most operators.BatchSize rows.
type pairWriter struct {
	out         *arrow.Schema
	left, right []arrow.Field
	l, r        picker
}

func newPairWriter(out, left, right *arrow.Schema) *pairWriter {
	return &pairWriter{out: out, left: left.Fields(), right: right.Fields()}
}

// add adds a pair; a nil batch stands for a NULL side. When the batch is
// full it is emitted.
func (w *pairWriter) add(mem memory.Allocator, lb arrow.RecordBatch, lr int32, rb arrow.RecordBatch, rr int32, emit operators.Emit) error {
	w.l.add(lb, lr)
	w.r.add(rb, rr)
	if len(w.l.refs) >= operators.BatchSize {
		return w.flush(mem, emit)
	}
	return nil
}

// flush emits the pairs added so far, if any.
func (w *pairWriter) flush(mem memory.Allocator, emit operators.Emit) error {
	n := len(w.l.refs)
	if n == 0 {
		return nil
	}
	defer w.l.reset()
	defer w.r.reset()
	lc, err := w.l.columns(mem, w.left)
	if err != nil {
		return err
	}
	defer operators.ReleaseAll(lc)
	rc, err := w.r.columns(mem, w.right)
	if err != nil {
		return err
	}
	defer operators.ReleaseAll(rc)
	b := array.NewRecordBatch(w.out, append(lc, rc...), int64(n))
	return emit(b)
}

// reset drops pairs not yet emitted (after an error).
func (w *pairWriter) reset() {
	w.l.reset()
	w.r.reset()
}
