package operators

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/types"
)

func TestProject(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	in := xoSchema(arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String)
	out := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "x_plus_10", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	b1 := xoBatch(t, mem, in, []any{1, "a"}, []any{nil, "b"})
	b2 := xoBatch(t, mem, in)
	b3 := xoBatch(t, mem, in, []any{3, nil})
	defer releaseBatches([]arrow.RecordBatch{b1, b2, b3})

	p := NewProject(in, out, []expr.Evaluator{
		xoColRef{Col: 1, T: types.VarcharType}, xoAdd{Col: 0, C: 10}, xoColRef{Col: 0, T: types.BigintType},
	}, &expr.Context{Now: 42})
	got, err := xoRun(t, mem, p, []arrow.RecordBatch{b1, b2, b3})
	if err != nil {
		t.Fatal(err)
	}
	xoEqualRows(t, got, [][]any{{"a", 11, 1}, {"b", nil, nil}, {nil, 13, 3}})
}

func TestProjectNoColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	in := xoSchema(arrow.PrimitiveTypes.Int64)
	out := arrow.NewSchema(nil, nil)
	b := xoBatch(t, mem, in, []any{1}, []any{2}, []any{3})
	defer b.Release()
	got, err := xoRun(t, mem, NewProject(in, out, nil, nil), []arrow.RecordBatch{b})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d rows, want 3", len(got))
	}
}

func TestProjectErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	in := xoSchema(arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String)
	out := xoSchema(arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int64)
	b := xoBatch(t, mem, in, []any{1, "a"})
	defer b.Release()

	boom := errors.New("division by zero")
	failing := xoFunc{F: func(*expr.Context, arrow.RecordBatch) (arrow.Array, error) { return nil, boom }}
	_, err := xoRun(t, mem, NewProject(in, out, []expr.Evaluator{xoColRef{Col: 0}, failing}, nil), []arrow.RecordBatch{b})
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "evaluating column c1: ") {
		t.Fatalf("got %v", err)
	}
	_, err = xoRun(t, mem, NewProject(in, out, []expr.Evaluator{xoColRef{Col: 0}, xoColRef{Col: 1}}, nil), []arrow.RecordBatch{b})
	if err == nil || !strings.Contains(err.Error(), "got type utf8, want int64") {
		t.Fatalf("got %v, want a type error", err)
	}
	_, err = xoRun(t, mem, NewProject(in, out, []expr.Evaluator{xoColRef{Col: 0}}, nil), []arrow.RecordBatch{b})
	if err == nil {
		t.Fatal("want an error for a missing expression")
	}
}
