package physical

import (
	"context"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

var bigint = types.Type{Kind: types.Bigint}

func valuesOf(id logical.ColumnID, vals ...int64) *logical.Values {
	v := &logical.Values{Cols: []logical.Column{{ID: id, Name: "x", Type: bigint, Nullable: true}}}
	for _, x := range vals {
		v.Rows = append(v.Rows, []logical.Expr{&logical.Literal{Value: x, T: bigint}})
	}
	return v
}

// A plan that fails after a VALUES below it was built (here a scalar
// subquery failing at plan time) must release the VALUES batch: the
// caller gets no stage tree to release it through.
func TestBuildErrorReleasesValues(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	failing := errors.New("more than one row")
	p := New(&expr.Context{Mem: mem}, func(ctx context.Context, plan logical.Node) (any, error) {
		return nil, failing
	})
	vals := valuesOf(1, 1, 2)
	x := &logical.ColumnRef{ID: 1, Name: "x", T: bigint}
	sub := &logical.Subquery{Plan: valuesOf(2, 1), T: bigint}
	cases := map[string]logical.Node{
		"filter": &logical.Filter{Input: vals, Pred: &logical.Call{Func: "=", Args: []logical.Expr{x, sub}, T: types.Type{Kind: types.Boolean}}},
		"join right": &logical.Join{Kind: logical.InnerJoin, Left: valuesOf(3, 1), Right: &logical.Filter{Input: vals,
			Pred: &logical.Call{Func: "=", Args: []logical.Expr{x, sub}, T: types.Type{Kind: types.Boolean}}}},
		"values cell": &logical.Union{Inputs: []logical.Node{vals, &logical.Values{Cols: vals.Cols, Rows: [][]logical.Expr{{sub}}}}, Cols: vals.Cols},
	}
	for name, plan := range cases {
		if _, err := p.Build(context.Background(), plan); !errors.Is(err, failing) {
			t.Errorf("%s: got %v, want the subquery's error", name, err)
		}
	}
}

// A successful Build hands the VALUES batches to the stage tree.
func TestBuildKeepsValuesOnSuccess(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p := New(&expr.Context{Mem: mem}, nil)
	st, err := p.Build(context.Background(), valuesOf(1, 1, 2, 3))
	if err != nil {
		t.Fatal(err)
	}
	v, ok := st.Source.(*operators.Values)
	if !ok {
		t.Fatalf("got %T, want a Values source", st.Source)
	}
	rows := int64(0)
	if err := v.Run(context.Background(), mem, func(b arrow.RecordBatch) error { rows += b.NumRows(); b.Release(); return nil }); err != nil {
		t.Fatal(err)
	}
	if rows != 3 {
		t.Fatalf("got %d rows, want 3", rows)
	}
	v.Release()
}
