package operators

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestUnion(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	in := xoSchema(arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String) // other names
	a1 := xoBatch(t, mem, in, []any{1, "a"})
	a2 := xoBatch(t, mem, in, []any{2, nil}, []any{3, "c"})
	b1 := xoBatch(t, mem, in)
	c1 := xoBatch(t, mem, s, []any{nil, "z"})
	defer releaseBatches([]arrow.RecordBatch{a1, a2, b1, c1})

	// xoRun checks that every emitted batch has the union's schema.
	got, err := xoRun(t, mem, NewUnion(s, 3), []arrow.RecordBatch{a1, a2}, []arrow.RecordBatch{b1}, []arrow.RecordBatch{c1, a1})
	if err != nil {
		t.Fatal(err)
	}
	xoEqualRows(t, got, [][]any{{1, "a"}, {2, nil}, {3, "c"}, {nil, "z"}, {1, "a"}})
}

func TestUnionErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := xoSchema(arrow.PrimitiveTypes.Int64)
	bad := xoBatch(t, mem, xoSchema(arrow.PrimitiveTypes.Int32), []any{1})
	good := xoBatch(t, mem, s, []any{1})
	defer bad.Release()
	defer good.Release()
	_, err := xoRun(t, mem, NewUnion(s, 2), []arrow.RecordBatch{good}, []arrow.RecordBatch{bad})
	if err == nil || !strings.Contains(err.Error(), "column c0 has type int32, want int64") {
		t.Fatalf("got %v", err)
	}
	u := NewUnion(s, 2)
	if err := u.ProcessBatch(context.Background(), 2, good, nil); err == nil {
		t.Fatal("want an error for input 2")
	}
}
