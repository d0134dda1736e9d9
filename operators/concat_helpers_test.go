package operators

// Test helpers shared by the filter, project, sort, top-n, limit, union,
// values, scan and concat tests. Names carry an "xo" prefix to stay clear
// of other test files in the package.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/types"
)

var xoTS = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

func xoSchema(types ...arrow.DataType) *arrow.Schema {
	fs := make([]arrow.Field, len(types))
	for i, t := range types {
		fs[i] = arrow.Field{Name: fmt.Sprintf("c%d", i), Type: t, Nullable: true}
	}
	return arrow.NewSchema(fs, nil)
}

// xoBatch builds a batch from rows of Go values (nil is NULL).
func xoBatch(t testing.TB, mem memory.Allocator, s *arrow.Schema, rows ...[]any) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(mem, s)
	defer b.Release()
	for _, r := range rows {
		if len(r) != s.NumFields() {
			t.Fatalf("row %v has %d values, want %d", r, len(r), s.NumFields())
		}
		for c, v := range r {
			fb := b.Field(c)
			if v == nil {
				fb.AppendNull()
				continue
			}
			switch fb := fb.(type) {
			case *array.Int64Builder:
				fb.Append(int64(v.(int)))
			case *array.Int32Builder:
				fb.Append(int32(v.(int)))
			case *array.Float64Builder:
				fb.Append(v.(float64))
			case *array.StringBuilder:
				fb.Append(v.(string))
			case *array.BooleanBuilder:
				fb.Append(v.(bool))
			case *array.TimestampBuilder:
				fb.Append(arrow.Timestamp(v.(int)))
			case *array.Date32Builder:
				fb.Append(arrow.Date32(v.(int)))
			case *array.MonthDayNanoIntervalBuilder:
				fb.Append(v.(arrow.MonthDayNanoInterval))
			default:
				t.Fatalf("xoBatch: unsupported builder %T", fb)
			}
		}
	}
	return b.NewRecordBatch()
}

// xoValue returns row i of arr as a Go value of the kind xoBatch accepts.
func xoValue(arr arrow.Array, i int) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.Int64:
		return int(a.Value(i))
	case *array.Int32:
		return int(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.Timestamp:
		return int(a.Value(i))
	case *array.Date32:
		return int(a.Value(i))
	case *array.MonthDayNanoInterval:
		return a.Value(i)
	}
	return fmt.Sprintf("unsupported %s", arr.DataType())
}

// xoRows returns the rows of batches as Go values.
func xoRows(batches ...arrow.RecordBatch) [][]any {
	var out [][]any
	for _, b := range batches {
		for i := range int(b.NumRows()) {
			r := make([]any, b.NumCols())
			for c := range r {
				r[c] = xoValue(b.Column(c), i)
			}
			out = append(out, r)
		}
	}
	return out
}

// xoEqualRows compares rows, treating NaN as equal to NaN.
func xoEqualRows(t testing.TB, got, want [][]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d\ngot  %v\nwant %v", len(got), len(want), xoHead(got), xoHead(want))
	}
	for i := range got {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("row %d: got %v, want %v", i, got[i], want[i])
		}
		for c := range got[i] {
			g, w := got[i][c], want[i][c]
			gf, ok1 := g.(float64)
			wf, ok2 := w.(float64)
			if ok1 && ok2 && math.IsNaN(gf) && math.IsNaN(wf) {
				continue
			}
			if g != w {
				t.Fatalf("row %d: got %v, want %v", i, got[i], want[i])
			}
		}
	}
}

func xoHead(rows [][]any) [][]any {
	if len(rows) > 20 {
		return rows[:20]
	}
	return rows
}

// xoSink collects emitted batches.
type xoSink struct {
	t       testing.TB
	schema  *arrow.Schema
	batches []arrow.RecordBatch
	maxRows int64 // if > 0, the largest batch allowed
	failAt  int   // if > 0, the emit call (1-based) that returns failErr
	failErr error
	calls   int
}

func (s *xoSink) emit(b arrow.RecordBatch) error {
	s.calls++
	if s.failAt > 0 && s.calls >= s.failAt {
		b.Release()
		return s.failErr
	}
	if s.schema != nil && !b.Schema().Equal(s.schema) {
		s.t.Errorf("emitted batch schema %s, want %s", b.Schema(), s.schema)
	}
	if s.maxRows > 0 && b.NumRows() > s.maxRows {
		s.t.Errorf("emitted batch of %d rows, want at most %d", b.NumRows(), s.maxRows)
	}
	s.batches = append(s.batches, b)
	return nil
}

func (s *xoSink) rows() [][]any { return xoRows(s.batches...) }

func (s *xoSink) release() {
	for _, b := range s.batches {
		b.Release()
	}
	s.batches = nil
}

// xoRun drives op over inputs (one slice of batches per input) the way
// exec does, and returns the emitted rows. A ProcessBatch returning ErrDone
// ends that input early.
func xoRun(t testing.TB, mem memory.Allocator, op Operator, inputs ...[]arrow.RecordBatch) ([][]any, error) {
	t.Helper()
	sink := &xoSink{t: t, schema: op.Schema()}
	defer sink.release()
	ctx := context.Background()
	if err := op.Open(ctx, mem); err != nil {
		return nil, err
	}
	defer func() {
		if err := op.Close(); err != nil {
			t.Errorf("closing: %v", err)
		}
	}()
	for in, bs := range inputs {
		for _, b := range bs {
			err := op.ProcessBatch(ctx, in, b, sink.emit)
			if errors.Is(err, ErrDone) {
				break
			}
			if err != nil {
				return nil, err
			}
		}
		if err := op.EndOfInput(ctx, in, sink.emit); err != nil && !errors.Is(err, ErrDone) {
			return nil, err
		}
	}
	return sink.rows(), nil
}

func xoRelease(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

// xoColRef is a fake evaluator returning column Col.
type xoColRef struct {
	Col int
	T   types.Type
}

func (e xoColRef) Eval(ctx *expr.Context, b arrow.RecordBatch) (arrow.Array, error) {
	c := b.Column(e.Col)
	c.Retain()
	return c, nil
}

func (e xoColRef) Type() types.Type { return e.T }

// xoGt is a fake evaluator for "int64 column Col > C" (NULL if the column is).
type xoGt struct {
	Col int
	C   int64
}

func (e xoGt) Eval(ctx *expr.Context, b arrow.RecordBatch) (arrow.Array, error) {
	col, ok := b.Column(e.Col).(*array.Int64)
	if !ok {
		return nil, fmt.Errorf("xoGt: column %d is %s", e.Col, b.Column(e.Col).DataType())
	}
	n := col.Len()
	buf := memory.NewResizableBuffer(ctx.Mem)
	defer buf.Release()
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	bm := buf.Bytes()
	clear(bm)
	for i, v := range col.Int64Values() {
		if v > e.C {
			bm[i>>3] |= 1 << (i & 7)
		}
	}
	var valid *memory.Buffer
	if col.NullN() > 0 {
		valid = memory.NewResizableBuffer(ctx.Mem)
		defer valid.Release()
		valid.Resize(len(bm))
		vb := valid.Bytes()
		clear(vb)
		for i := range n {
			if col.IsValid(i) {
				vb[i>>3] |= 1 << (i & 7)
			}
		}
	}
	return array.NewBoolean(n, buf, valid, col.NullN()), nil
}

func (e xoGt) Type() types.Type { return types.BooleanType }

// xoAdd is a fake evaluator for "int64 column Col + C".
type xoAdd struct {
	Col int
	C   int64
}

func (e xoAdd) Eval(ctx *expr.Context, b arrow.RecordBatch) (arrow.Array, error) {
	col := b.Column(e.Col).(*array.Int64)
	bb := array.NewInt64Builder(ctx.Mem)
	defer bb.Release()
	for i := range col.Len() {
		if col.IsNull(i) {
			bb.AppendNull()
		} else {
			bb.Append(col.Value(i) + e.C)
		}
	}
	return bb.NewArray(), nil
}

func (e xoAdd) Type() types.Type { return types.BigintType }

// xoFunc is a fake evaluator calling F.
type xoFunc struct {
	F func(ctx *expr.Context, b arrow.RecordBatch) (arrow.Array, error)
	T types.Type
}

func (e xoFunc) Eval(ctx *expr.Context, b arrow.RecordBatch) (arrow.Array, error) { return e.F(ctx, b) }
func (e xoFunc) Type() types.Type                                                 { return e.T }
