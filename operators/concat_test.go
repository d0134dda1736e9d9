package operators

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestConcatBatches(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := xoSchema(arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String, arrow.FixedWidthTypes.Boolean)
	b1 := xoBatch(t, mem, s, []any{1, "a", true}, []any{nil, nil, false})
	b2 := xoBatch(t, mem, s)
	b3 := xoBatch(t, mem, s, []any{3, "c", nil})
	defer releaseBatches([]arrow.RecordBatch{b1, b2, b3})

	out, err := ConcatBatches(mem, nil, []arrow.RecordBatch{b1, b2, b3})
	if err != nil {
		t.Fatal(err)
	}
	xoEqualRows(t, xoRows(out), [][]any{{1, "a", true}, {nil, nil, false}, {3, "c", nil}})
	out.Release()

	// A single non-empty batch is shared, relabelled with the schema.
	s2 := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}, {Name: "b", Type: arrow.BinaryTypes.String}, {Name: "c", Type: arrow.FixedWidthTypes.Boolean}}, nil)
	out, err = ConcatBatches(mem, s2, []arrow.RecordBatch{b2, b3})
	if err != nil {
		t.Fatal(err)
	}
	if out.Schema() != s2 || out.NumRows() != 1 {
		t.Fatalf("got %v", out)
	}
	out.Release()

	out, err = ConcatBatches(mem, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.NumRows() != 0 || out.NumCols() != 3 {
		t.Fatalf("got %v", out)
	}
	out.Release()

	if _, err := ConcatBatches(mem, xoSchema(arrow.PrimitiveTypes.Int64), []arrow.RecordBatch{b1}); err == nil {
		t.Fatal("want an error for mismatched columns")
	}
	if _, err := ConcatBatches(mem, nil, nil); err == nil {
		t.Fatal("want an error without schema or batches")
	}
}
