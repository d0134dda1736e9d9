package operators

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/types"
)

func TestFilterBasic(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := xoSchema(arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String)
	b1 := xoBatch(t, mem, s, []any{1, "a"}, []any{5, "b"}, []any{nil, "c"}, []any{7, nil}, []any{2, "e"})
	b2 := xoBatch(t, mem, s) // empty
	b3 := xoBatch(t, mem, s, []any{0, "x"}, []any{1, "y"})
	b4 := xoBatch(t, mem, s, []any{9, "p"}, []any{8, "q"})
	defer releaseBatches([]arrow.RecordBatch{b1, b2, b3, b4})

	got, err := xoRun(t, mem, NewFilter(s, xoGt{Col: 0, C: 2}, &expr.Context{}), []arrow.RecordBatch{b1, b2, b3, b4})
	if err != nil {
		t.Fatal(err)
	}
	xoEqualRows(t, got, [][]any{{5, "b"}, {7, nil}, {9, "p"}, {8, "q"}})
}

func TestFilterPassThroughAndSlice(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := xoSchema(arrow.PrimitiveTypes.Int64)
	all := xoBatch(t, mem, s, []any{5}, []any{6})
	run := xoBatch(t, mem, s, []any{1}, []any{5}, []any{6}, []any{1})
	defer all.Release()
	defer run.Release()

	f := NewFilter(s, xoGt{Col: 0, C: 2}, nil)
	ctx := context.Background()
	if err := f.Open(ctx, mem); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sink := &xoSink{t: t}
	defer sink.release()
	if err := f.ProcessBatch(ctx, 0, all, sink.emit); err != nil {
		t.Fatal(err)
	}
	if len(sink.batches) != 1 || sink.batches[0] != all {
		t.Fatalf("all-true batch not passed through")
	}
	if err := f.ProcessBatch(ctx, 0, run, sink.emit); err != nil {
		t.Fatal(err)
	}
	xoEqualRows(t, sink.rows(), [][]any{{5}, {6}, {5}, {6}})
}

// TestFilterRandom checks the bitmap word loop (with and without NULLs, at
// odd offsets) against a row-by-row evaluation.
func TestFilterRandom(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := xoSchema(arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String)
	r := rand.New(rand.NewPCG(1, 2))
	for iter := range 60 {
		n := r.IntN(300)
		nullRate := []float64{0, 0.1, 0.5}[iter%3]
		rows := make([][]any, n)
		var want [][]any
		for i := range rows {
			var v any = r.IntN(100)
			if r.Float64() < nullRate {
				v = nil
			}
			rows[i] = []any{v, strings.Repeat("s", i%7)}
		}
		// The predicate result is a slice of a larger array, so its bitmaps
		// start at a non-zero offset.
		shift := r.IntN(70)
		thr := int64(r.IntN(110) - 5)
		pred := xoFunc{T: types.BooleanType, F: func(ctx *expr.Context, b arrow.RecordBatch) (arrow.Array, error) {
			bb := array.NewBooleanBuilder(ctx.Mem)
			defer bb.Release()
			for range shift {
				bb.Append(true)
			}
			col := b.Column(0).(*array.Int64)
			for i := range col.Len() {
				if col.IsNull(i) {
					bb.AppendNull()
				} else {
					bb.Append(col.Value(i) > thr)
				}
			}
			full := bb.NewArray()
			defer full.Release()
			return array.NewSlice(full, int64(shift), int64(full.Len())), nil
		}}
		for _, row := range rows {
			if row[0] != nil && int64(row[0].(int)) > thr {
				want = append(want, row)
			}
		}
		b := xoBatch(t, mem, s, rows...)
		got, err := xoRun(t, mem, NewFilter(s, pred, nil), []arrow.RecordBatch{b})
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
		xoEqualRows(t, got, want)
	}
}

func TestFilterErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := xoSchema(arrow.PrimitiveTypes.Int64)
	b := xoBatch(t, mem, s, []any{1}, []any{5})
	defer b.Release()

	boom := errors.New("boom")
	_, err := xoRun(t, mem, NewFilter(s, xoFunc{F: func(*expr.Context, arrow.RecordBatch) (arrow.Array, error) { return nil, boom }}, nil), []arrow.RecordBatch{b})
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "evaluating filter predicate: ") {
		t.Fatalf("got %v", err)
	}
	_, err = xoRun(t, mem, NewFilter(s, xoColRef{Col: 0}, nil), []arrow.RecordBatch{b})
	if err == nil || !strings.Contains(err.Error(), "want boolean") {
		t.Fatalf("got %v, want a type error", err)
	}
	// An emit error (ErrDone) is returned unchanged.
	f := NewFilter(s, xoGt{Col: 0, C: 2}, nil)
	if err := f.Open(context.Background(), mem); err != nil {
		t.Fatal(err)
	}
	sink := &xoSink{t: t, failAt: 1, failErr: ErrDone}
	if err := f.ProcessBatch(context.Background(), 0, b, sink.emit); err != ErrDone {
		t.Fatalf("got %v, want ErrDone", err)
	}
	f.Close()
}

func BenchmarkFilter(b *testing.B) {
	mem := memory.NewGoAllocator()
	s := xoSchema(arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64, arrow.BinaryTypes.String)
	r := rand.New(rand.NewPCG(3, 4))
	const rows = 1 << 20
	var batches []arrow.RecordBatch
	for range rows / BatchSize {
		ib := array.NewInt64Builder(mem)
		fb := array.NewFloat64Builder(mem)
		sb := array.NewStringBuilder(mem)
		for range BatchSize {
			ib.Append(r.Int64N(1000))
			fb.Append(r.Float64())
			sb.Append("value-string")
		}
		cols := []arrow.Array{ib.NewArray(), fb.NewArray(), sb.NewArray()}
		batches = append(batches, array.NewRecordBatch(s, cols, BatchSize))
		ReleaseAll(cols)
		ib.Release()
		fb.Release()
		sb.Release()
	}
	defer releaseBatches(batches)
	ctx := context.Background()
	emit := func(b arrow.RecordBatch) error { b.Release(); return nil }
	b.ReportAllocs()
	b.SetBytes(rows * 8)
	for b.Loop() {
		f := NewFilter(s, xoGt{Col: 0, C: 500}, nil) // ~50% selectivity
		if err := f.Open(ctx, mem); err != nil {
			b.Fatal(err)
		}
		for _, bt := range batches {
			if err := f.ProcessBatch(ctx, 0, bt, emit); err != nil {
				b.Fatal(err)
			}
		}
		f.Close()
	}
}
