package operators

// Test helpers shared by the operator tests: reading batches back as rows
// of Go values (internal/optest builds them), releasing batches, driving
// operators, and fake evaluators. The xo-, ha- and join- helpers are the forms the
// filter/sort/…, aggregate and join tests use; they share the code below.

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

	"github.com/streamsql/streamsql/internal/optest"
	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/types"
)

// cellValue reads row i of a as a Go value: nil for NULL (every row of a
// NULL-typed array), []any for a list. With typed, integers, timestamps
// and dates keep their Go types (int64, int32, arrow.Timestamp,
// arrow.Date32); otherwise they read as int. ok is false for an array type
// it does not know.
func cellValue(a arrow.Array, i int, typed bool) (v any, ok bool) {
	if a.DataType().ID() == arrow.NULL || a.IsNull(i) {
		return nil, true
	}
	switch a := a.(type) {
	case *array.Int64:
		if typed {
			return a.Value(i), true
		}
		return int(a.Value(i)), true
	case *array.Int32:
		if typed {
			return a.Value(i), true
		}
		return int(a.Value(i)), true
	case *array.Timestamp:
		if typed {
			return a.Value(i), true
		}
		return int(a.Value(i)), true
	case *array.Date32:
		if typed {
			return a.Value(i), true
		}
		return int(a.Value(i)), true
	case *array.Float64:
		return a.Value(i), true
	case *array.String:
		return a.Value(i), true
	case *array.Boolean:
		return a.Value(i), true
	case *array.MonthDayNanoInterval:
		return a.Value(i), true
	case *array.List:
		b, e := a.ValueOffsets(i)
		var out []any
		for j := b; j < e; j++ {
			v, ok := cellValue(a.ListValues(), int(j), typed)
			if !ok {
				return nil, false
			}
			out = append(out, v)
		}
		return out, true
	}
	return nil, false
}

// batchRows returns the rows of bs, each cell read by value.
func batchRows(bs []arrow.RecordBatch, value func(a arrow.Array, i int) any) [][]any {
	var out [][]any
	for _, b := range bs {
		for i := range int(b.NumRows()) {
			r := make([]any, b.NumCols())
			for c := range r {
				r[c] = value(b.Column(c), i)
			}
			out = append(out, r)
		}
	}
	return out
}

func releaseBatches(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

// xoBatch is optest.Batch with the rows as arguments.
func xoBatch(t testing.TB, mem memory.Allocator, s *arrow.Schema, rows ...[]any) arrow.RecordBatch {
	t.Helper()
	return optest.Batch(t, mem, s, rows)
}

// xoValue returns row i of arr as a Go value of the kind xoBatch accepts.
func xoValue(arr arrow.Array, i int) any {
	if v, ok := cellValue(arr, i, false); ok {
		return v
	}
	return fmt.Sprintf("unsupported %s", arr.DataType())
}

// xoRows returns the rows of batches as Go values.
func xoRows(batches ...arrow.RecordBatch) [][]any { return batchRows(batches, xoValue) }

var xoTS = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

func xoSchema(types ...arrow.DataType) *arrow.Schema {
	fs := make([]arrow.Field, len(types))
	for i, t := range types {
		fs[i] = arrow.Field{Name: fmt.Sprintf("c%d", i), Type: t, Nullable: true}
	}
	return arrow.NewSchema(fs, nil)
}

// xoSortInput is the input of the basic sort and top-n tests: (BIGINT,
// VARCHAR) rows in three batches, the second empty, released by the caller.
func xoSortInput(t testing.TB, mem memory.Allocator) (*arrow.Schema, []arrow.RecordBatch) {
	t.Helper()
	s := xoSchema(arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String)
	b1 := xoBatch(t, mem, s, []any{3, "a"}, []any{nil, "b"}, []any{1, "c"})
	b2 := xoBatch(t, mem, s)
	b3 := xoBatch(t, mem, s, []any{2, "d"}, []any{1, "e"}, []any{nil, "f"}, []any{3, "g"})
	return s, []arrow.RecordBatch{b1, b2, b3}
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
