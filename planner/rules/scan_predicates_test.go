package rules

import (
	"reflect"
	"testing"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

func TestScanPredicates(t *testing.T) {
	var b builder
	s := b.scan("t", c("id", types.BigintType), c("n", types.IntegerType), c("s", types.VarcharType), c("ts", types.TimestampType))
	// Pruned to columns 3, 1 and 2 of the table: ordinals, not positions.
	s.Cols = []logical.Column{s.Cols[3], s.Cols[1], s.Cols[2]}
	s.Ordinals = []int{3, 1, 2}
	ts, n, str := ref(t, s, "ts"), ref(t, s, "n"), ref(t, s, "s")
	tsLit := &logical.Literal{Value: int64(1_700_000_000_000_000), T: types.TimestampType}
	s.Filters = []logical.Expr{
		and(cmp(">=", ts, tsLit), cmp("=", str, slit("x"))),         // split
		cmp("<", lit(5), &logical.Cast{X: n, To: types.BigintType}), // flipped, int32 value
		call("is_null", types.BooleanType, str),
		call("is_not_null", types.BooleanType, ts),
		cmp("=", str, nullLit(types.VarcharType)),                       // NULL literal: skipped
		cmp("=", add(lit(1), lit(2)), lit(3)),                           // no column: skipped
		cmp("like", str, slit("a%")),                                    // not a comparison: skipped
		cmp(">", &logical.Cast{X: n, To: types.BigintType}, lit(1<<40)), // out of INTEGER range: skipped
		cmp("=", &logical.ColumnRef{ID: 999, Name: "other", T: types.BigintType}, lit(1)),
	}
	got := ScanPredicates(s)
	want := []catalog.Predicate{
		{Column: 3, Op: ">=", Value: int64(1_700_000_000_000_000)},
		{Column: 2, Op: "=", Value: "x"},
		{Column: 1, Op: ">", Value: int32(5)},
		{Column: 2, Op: "is_null"},
		{Column: 3, Op: "is_not_null"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
	if ScanPredicates(nil) != nil || ScanPredicates(&logical.Scan{}) != nil {
		t.Fatal("no filters, no predicates")
	}
}
