package operators

import (
	"context"
	"math"
	"math/rand"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/internal/optest"
	"github.com/streamsql/streamsql/planner/types"
)

func TestDistinct(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := haSchema(types.VarcharType, types.BigintType, types.DoubleType)
	in := []arrow.RecordBatch{
		optest.Batch(t, mem, s, [][]any{{"a", 1, 1.0}, {"a", 1, 1.0}, {nil, 1, nil}, {"b", nil, 0.0}}),
		optest.Batch(t, mem, s, [][]any{{nil, 1, nil}, {"a", 2, 1.0}, {"b", nil, math.Copysign(0, -1)}, {"a", 1, 1.0}}),
		optest.Batch(t, mem, s, [][]any{{"c", 3, math.NaN()}, {"c", 3, math.NaN()}}),
		optest.Batch(t, mem, s, [][]any{{"d", 4, 4.0}, {"e", 5, 5.0}}),
		optest.Batch(t, mem, s, [][]any{{"d", 4, 4.0}}),
	}
	defer releaseBatches(in)
	op := NewDistinct(s)
	if !op.Schema().Equal(s) {
		t.Errorf("schema %s", op.Schema())
	}
	// Record what each input batch produced.
	ctx := context.Background()
	if err := op.Open(ctx, mem); err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	var perBatch [][][]any
	for _, b := range in {
		var got []arrow.RecordBatch
		err := op.ProcessBatch(ctx, 0, b, func(o arrow.RecordBatch) error {
			got = append(got, o)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		perBatch = append(perBatch, haRows(t, got))
		releaseBatches(got)
	}
	if err := op.EndOfInput(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	want := [][][]any{
		{{"a", 1, 1.0}, {nil, 1, nil}, {"b", nil, 0.0}},
		{{"a", 2, 1.0}},
		{{"c", 3, math.NaN()}},
		{{"d", 4, 4.0}, {"e", 5, 5.0}},
		nil,
	}
	if len(perBatch) != len(want) {
		t.Fatalf("got %v", perBatch)
	}
	for i := range want {
		if haSortedEq(perBatch[i], want[i]) {
			continue
		}
		t.Errorf("batch %d: got %v, want %v", i, perBatch[i], want[i])
	}
}

func haSortedEq(a, b [][]any) bool { return reflect.DeepEqual(haSorted(a), haSorted(b)) }

func TestDistinctSingleColumns(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	for _, typ := range []types.Type{types.BigintType, types.IntegerType, types.VarcharType, types.BooleanType, types.DateType, types.IntervalType} {
		t.Run(typ.String(), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			s, in, rows := haRandomInput(t, mem, r, []types.Type{typ}, 500, 6)
			defer releaseBatches(in)
			// Keep only the key column.
			sk := arrow.NewSchema(s.Fields()[:1], nil)
			var keyOnly []arrow.RecordBatch
			for _, b := range in {
				keyOnly = append(keyOnly, haRecord(sk, []arrow.Array{b.Column(0)}, b.NumRows()))
			}
			defer releaseBatches(keyOnly)
			out, err := haRun(t, mem, NewDistinct(sk), keyOnly)
			defer releaseBatches(out)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			var want [][]any
			for _, row := range rows {
				k := haSorted([][]any{row[:1]})[0]
				if !seen[k] {
					seen[k] = true
					want = append(want, row[:1])
				}
			}
			got := haRows(t, out)
			if !reflect.DeepEqual(haSorted(got), haSorted(want)) || len(got) != len(want) {
				t.Errorf("got %d rows, want %d", len(got), len(want))
			}
			// First-seen order is preserved.
			for i := range got {
				if haSorted(got[i : i+1])[0] != haSorted(want[i : i+1])[0] {
					t.Fatalf("row %d: got %v, want %v", i, got[i], want[i])
				}
			}
		})
	}
}

func TestDistinctNoColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := arrow.NewSchema(nil, nil)
	in := []arrow.RecordBatch{haRecord(s, nil, 3), haRecord(s, nil, 2)}
	defer releaseBatches(in)
	out, err := haRun(t, mem, NewDistinct(s), in)
	defer releaseBatches(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].NumRows() != 1 {
		t.Errorf("got %d batches", len(out))
	}
}

func TestDistinctUnsupported(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := arrow.NewSchema([]arrow.Field{{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)}}, nil)
	op := NewDistinct(s)
	if err := op.Open(context.Background(), mem); err == nil {
		t.Error("list column accepted")
	}
	op.Close()
}

func haRecord(s *arrow.Schema, cols []arrow.Array, n int64) arrow.RecordBatch {
	return array.NewRecordBatch(s, cols, n)
}
