package explain

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

type fakeTable struct{}

func (fakeTable) Schema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "status", Type: arrow.BinaryTypes.String},
		{Name: "amount", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
}

func (fakeTable) Scan(context.Context, catalog.ScanRequest) (catalog.BatchReader, error) {
	return nil, errors.New("fake table: scan not supported")
}

func col(id logical.ColumnID, name string, t types.Type) logical.Column {
	return logical.Column{ID: id, Name: name, Type: t}
}

func ref(c logical.Column) *logical.ColumnRef {
	return &logical.ColumnRef{ID: c.ID, Name: c.Name, T: c.Type}
}

// plan is
//
//	SELECT status, sum(amount) AS total FROM events
//	WHERE amount > (SELECT 10) GROUP BY status ORDER BY total DESC
func plan() (root, agg, scan logical.Node) {
	status, amount := col(3, "status", types.VarcharType), col(4, "amount", types.BigintType)
	s := &logical.Scan{Table: fakeTable{}, Name: "events", Cols: []logical.Column{status, amount}, Ordinals: []int{1, 2}, Limit: -1}
	sub := &logical.Subquery{T: types.BigintType, Plan: &logical.Values{
		Rows: [][]logical.Expr{{&logical.Literal{Value: int64(10), T: types.BigintType}}},
		Cols: []logical.Column{col(9, "?column?", types.BigintType)},
	}}
	f := &logical.Filter{Input: s, Pred: &logical.Call{Func: ">", Args: []logical.Expr{ref(amount), sub}, T: types.BooleanType}}
	total := col(7, "total", types.BigintType)
	a := &logical.Aggregate{Input: f, GroupBy: []logical.Expr{ref(status)}, GroupCols: []logical.Column{status},
		Aggs:    []logical.AggCall{{Func: "sum", Args: []logical.Expr{ref(amount)}, T: types.BigintType}},
		AggCols: []logical.Column{total}}
	srt := &logical.Sort{Input: a, Keys: []logical.SortKey{{Expr: ref(total), Desc: true, NullsFirst: true}}}
	return srt, a, s
}

func TestTree(t *testing.T) {
	root, _, _ := plan()
	want := `Sort: total#7 DESC NULLS FIRST
  Aggregate: group=[status#3] aggs=[sum(amount#4) AS total#7]
    Filter: (amount#4 > (subquery))
      Subquery:
        Values: 1 rows [?column?#9]
      Scan: events [status#3, amount#4]
`
	if got := Tree(root); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	// Stable: the same plan renders the same text every time.
	for i := 0; i < 20; i++ {
		if Tree(root) != want {
			t.Fatal("unstable output")
		}
	}
}

func TestTreeNoIDs(t *testing.T) {
	root, _, _ := plan()
	want := `Sort: total DESC NULLS FIRST
  Aggregate: group=[status] aggs=[sum(amount) AS total]
    Filter: (amount > (subquery))
      Subquery:
        Values: 1 rows [?column?]
      Scan: events [status, amount]
`
	if got := TreeNoIDs(root); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestAnnotated(t *testing.T) {
	root, agg, scan := plan()
	rows := map[logical.Node]int{root: 2, agg: 2, scan: 120}
	got := Annotated(root, func(n logical.Node) string {
		if r, ok := rows[n]; ok {
			return fmt.Sprintf("rows=%d time=1.2ms", r)
		}
		return "" // no stats: no suffix
	})
	want := `Sort: total#7 DESC NULLS FIRST  (rows=2 time=1.2ms)
  Aggregate: group=[status#3] aggs=[sum(amount#4) AS total#7]  (rows=2 time=1.2ms)
    Filter: (amount#4 > (subquery))
      Subquery:
        Values: 1 rows [?column?#9]
      Scan: events [status#3, amount#4]  (rows=120 time=1.2ms)
`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if Annotated(root, nil) != Tree(root) {
		t.Fatal("nil annotate is Tree")
	}
}

func TestTreeJoinAndNewlines(t *testing.T) {
	l := &logical.Values{Cols: []logical.Column{col(1, "a", types.VarcharType)}}
	r := &logical.Values{Cols: []logical.Column{col(2, "b", types.VarcharType)}}
	cond := &logical.Call{Func: "=", Args: []logical.Expr{ref(l.Cols[0]), &logical.Literal{Value: "x\ny", T: types.VarcharType}}, T: types.BooleanType}
	j := &logical.Join{Left: l, Right: r, Kind: logical.LeftJoin, Cond: cond}
	want := `Join: Left on (a#1 = 'x\ny')
  Values: 0 rows [a#1]
  Values: 0 rows [b#2]
`
	if got := Tree(j); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if Tree(nil) != "" {
		t.Fatal("nil plan renders as nothing")
	}
	if got := StripIDs("a#12 + b#3 # c"); got != "a + b # c" {
		t.Fatalf("StripIDs: %q", got)
	}
}
