package agg

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Multi-column keys grouped column by column must give the same groups,
// in the same first-appearance order, as a reference map over the rows,
// across batches and with NULLs in every column.
func TestCompositeKeysMatchReference(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	types := []arrow.DataType{arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64, arrow.FixedWidthTypes.Boolean}
	tbl, err := NewGroupTable(types)
	if err != nil {
		t.Fatal(err)
	}
	if tbl.kind != groupComposite {
		t.Fatalf("kind %d, want composite", tbl.kind)
	}
	ref := map[string]uint32{}
	var groups []uint32
	for batch := 0; batch < 5; batch++ {
		n := 500 + batch*100
		sb, ib, bb := array.NewStringBuilder(mem), array.NewInt64Builder(mem), array.NewBooleanBuilder(mem)
		keys := make([]string, n)
		for i := 0; i < n; i++ {
			var parts [3]string
			if rng.IntN(10) == 0 {
				sb.AppendNull()
				parts[0] = "∅"
			} else {
				v := fmt.Sprintf("k%d", rng.IntN(7))
				sb.Append(v)
				parts[0] = v
			}
			if rng.IntN(10) == 0 {
				ib.AppendNull()
				parts[1] = "∅"
			} else {
				v := rng.Int64N(5)
				ib.Append(v)
				parts[1] = fmt.Sprint(v)
			}
			if rng.IntN(10) == 0 {
				bb.AppendNull()
				parts[2] = "∅"
			} else {
				v := rng.IntN(2) == 0
				bb.Append(v)
				parts[2] = fmt.Sprint(v)
			}
			keys[i] = fmt.Sprint(parts)
		}
		cols := []arrow.Array{sb.NewArray(), ib.NewArray(), bb.NewArray()}
		sb.Release()
		ib.Release()
		bb.Release()
		var newRows []int32
		groups, newRows, err = tbl.Find(cols, groups, nil)
		for _, c := range cols {
			c.Release()
		}
		if err != nil {
			t.Fatal(err)
		}
		next := 0
		for i, k := range keys {
			id, seen := ref[k]
			if !seen {
				id = uint32(len(ref))
				ref[k] = id
				if next >= len(newRows) || newRows[next] != int32(i) {
					t.Fatalf("batch %d row %d: new group not reported in newRows %v", batch, i, newRows)
				}
				next++
			}
			if groups[i] != id {
				t.Fatalf("batch %d row %d (%s): group %d, want %d", batch, i, k, groups[i], id)
			}
		}
		if next != len(newRows) || tbl.Len() != len(ref) {
			t.Fatalf("batch %d: %d new rows reported, %d expected; Len %d, want %d", batch, len(newRows), next, tbl.Len(), len(ref))
		}
	}
}
