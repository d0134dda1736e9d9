package rules

import (
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

// PruneColumns removes columns nobody reads, top-down from the root, whose
// columns are all required (so the root's schema never changes):
//
//   - a Scan reads only the required columns (Cols and Ordinals shrink);
//     its pushed filters over dropped columns are dropped;
//   - Values, Project and Union drop unrequired outputs; Aggregate drops
//     unrequired aggregates (never group columns);
//   - every node keeps at least one column so that row counts survive (a
//     COUNT(*) over a scan still reads one column, the narrowest);
//   - Distinct needs all its input's columns; Filter, Sort, TopN and Join
//     add the columns their expressions read;
//   - a Union input that cannot produce exactly the kept positions gets a
//     Project selecting them.
type PruneColumns struct{}

// Name implements Rule.
func (PruneColumns) Name() string { return "prune_columns" }

// Apply implements Rule.
func (PruneColumns) Apply(n logical.Node, _ *Context) (logical.Node, bool, error) {
	out, err := prune(n, idSet(n.Schema()))
	if err != nil {
		return n, false, err
	}
	return changedResult(n, out)
}

// withRefs returns a copy of req plus the columns es read.
func withRefs(req map[logical.ColumnID]bool, es ...logical.Expr) map[logical.ColumnID]bool {
	out := make(map[logical.ColumnID]bool, len(req))
	for id := range req {
		out[id] = true
	}
	for _, e := range es {
		addRefs(out, e)
	}
	return out
}

// prune returns n reduced to produce at least the columns in req (and at
// least one column).
func prune(n logical.Node, req map[logical.ColumnID]bool) (logical.Node, error) {
	switch x := n.(type) {
	case *logical.Scan:
		return pruneScan(x, req), nil
	case *logical.Values:
		return pruneValues(x, req), nil
	case *logical.Filter:
		return pruneUnary(x, withRefs(req, x.Pred))
	case *logical.Limit:
		return pruneUnary(x, req)
	case *logical.Sort:
		return pruneUnary(x, withRefs(req, keyExprs(x.Keys)...))
	case *logical.TopN:
		return pruneUnary(x, withRefs(req, keyExprs(x.Keys)...))
	case *logical.Distinct:
		return pruneUnary(x, idSet(x.Input.Schema()))
	case *logical.RowNumber:
		// Every input column passes through; the numbering reads its keys.
		return pruneUnary(x, withRefs(idSet(x.Input.Schema()), append(append([]logical.Expr{}, x.Partition...), keyExprs(x.Order)...)...))
	case *logical.Project:
		return pruneProject(x, req)
	case *logical.Aggregate:
		return pruneAggregate(x, req)
	case *logical.Join:
		need := withRefs(req, x.Cond)
		l, err := prune(x.Left, need)
		if err != nil {
			return nil, err
		}
		r, err := prune(x.Right, need)
		if err != nil {
			return nil, err
		}
		return x.WithChildren(l, r)
	case *logical.Union:
		return pruneUnion(x, req)
	}
	return n, nil
}

func pruneUnary(n logical.Node, inReq map[logical.ColumnID]bool) (logical.Node, error) {
	in, err := prune(n.Children()[0], inReq)
	if err != nil {
		return nil, err
	}
	return n.WithChildren(in)
}

func keyExprs(keys []logical.SortKey) []logical.Expr {
	out := make([]logical.Expr, len(keys))
	for i, k := range keys {
		out[i] = k.Expr
	}
	return out
}

// keepIndexes lists the positions of cols in req; when none is, the
// position fallback picks (if cols is not empty).
func keepIndexes(cols []logical.Column, req map[logical.ColumnID]bool, fallback func() int) []int {
	var keep []int
	for i, c := range cols {
		if req[c.ID] {
			keep = append(keep, i)
		}
	}
	if len(keep) == 0 && len(cols) > 0 {
		keep = []int{fallback()}
	}
	return keep
}

// width ranks types by the bytes a value takes, to pick the cheapest
// column to keep when only the row count matters.
func width(t types.Type) int {
	switch t.Kind {
	case types.Null, types.Boolean:
		return 1
	case types.Integer, types.Date:
		return 4
	case types.Bigint, types.Double, types.Timestamp:
		return 8
	case types.Interval:
		return 16
	}
	return 32
}

func narrowest(cols []logical.Column) func() int {
	return func() int {
		best := 0
		for i, c := range cols {
			if width(c.Type) < width(cols[best].Type) {
				best = i
			}
		}
		return best
	}
}

func pick[T any](xs []T, idx []int) []T {
	out := make([]T, len(idx))
	for i, j := range idx {
		out[i] = xs[j]
	}
	return out
}

func pruneScan(x *logical.Scan, req map[logical.ColumnID]bool) logical.Node {
	keep := keepIndexes(x.Cols, req, narrowest(x.Cols))
	if len(keep) == len(x.Cols) || len(x.Ordinals) != len(x.Cols) {
		return x
	}
	c := *x
	c.Cols = pick(x.Cols, keep)
	c.Ordinals = pick(x.Ordinals, keep)
	kept := idSet(c.Cols)
	c.Filters = nil
	for _, f := range x.Filters {
		if subsetOf(ReferencedColumns(f), kept) {
			c.Filters = append(c.Filters, f)
		}
	}
	return &c
}

func pruneValues(x *logical.Values, req map[logical.ColumnID]bool) logical.Node {
	keep := keepIndexes(x.Cols, req, narrowest(x.Cols))
	if len(keep) == len(x.Cols) {
		return x
	}
	for _, r := range x.Rows {
		if len(r) != len(x.Cols) {
			return x // malformed; leave it to the physical planner to report
		}
	}
	rows := make([][]logical.Expr, len(x.Rows))
	for i, r := range x.Rows {
		rows[i] = pick(r, keep)
	}
	return &logical.Values{Rows: rows, Cols: pick(x.Cols, keep)}
}

func pruneProject(x *logical.Project, req map[logical.ColumnID]bool) (logical.Node, error) {
	if len(x.Exprs) != len(x.Cols) {
		return pruneUnary(x, withRefs(nil, x.Exprs...)) // malformed: keep as is
	}
	keep := keepIndexes(x.Cols, req, func() int { return cheapest(x.Exprs) })
	exprs := pick(x.Exprs, keep)
	in, err := prune(x.Input, withRefs(nil, exprs...))
	if err != nil {
		return nil, err
	}
	return &logical.Project{Input: in, Exprs: exprs, Cols: pick(x.Cols, keep)}, nil
}

// cheapest picks a literal, else a column reference, else the first
// expression.
func cheapest(es []logical.Expr) int {
	for i, e := range es {
		if _, ok := e.(*logical.Literal); ok {
			return i
		}
	}
	for i, e := range es {
		if _, ok := e.(*logical.ColumnRef); ok {
			return i
		}
	}
	return 0
}

func pruneAggregate(x *logical.Aggregate, req map[logical.ColumnID]bool) (logical.Node, error) {
	var keep []int
	if len(x.AggCols) != len(x.Aggs) {
		return pruneUnary(x, idSet(x.Input.Schema())) // malformed: keep as is
	}
	for i, c := range x.AggCols {
		if req[c.ID] {
			keep = append(keep, i)
		}
	}
	if len(keep) == 0 && len(x.GroupBy) == 0 && len(x.Aggs) > 0 {
		keep = []int{0} // a global aggregate still yields its one row
	}
	aggs := pick(x.Aggs, keep)
	inReq := withRefs(nil, x.GroupBy...)
	for _, a := range aggs {
		addRefs(inReq, a.Filter)
		for _, e := range a.Args {
			addRefs(inReq, e)
		}
	}
	in, err := prune(x.Input, inReq)
	if err != nil {
		return nil, err
	}
	c := *x
	c.Input, c.Aggs, c.AggCols = in, aggs, pick(x.AggCols, keep)
	return &c, nil
}

func pruneUnion(x *logical.Union, req map[logical.ColumnID]bool) (logical.Node, error) {
	keep := keepIndexes(x.Cols, req, narrowest(x.Cols))
	for _, in := range x.Inputs {
		if len(in.Schema()) != len(x.Cols) {
			keep = make([]int, len(x.Cols)) // malformed: prune below only
			for i := range keep {
				keep[i] = i
			}
		}
	}
	inputs := make([]logical.Node, len(x.Inputs))
	for i, in := range x.Inputs {
		want := pick(in.Schema(), keep)
		nin, err := prune(in, idSet(want))
		if err != nil {
			return nil, err
		}
		if !sameIDs(nin.Schema(), want) {
			exprs := make([]logical.Expr, len(want))
			for j, c := range want {
				exprs[j] = colRef(c)
			}
			nin = &logical.Project{Input: nin, Exprs: exprs, Cols: want}
		}
		inputs[i] = nin
	}
	return &logical.Union{Inputs: inputs, Cols: pick(x.Cols, keep)}, nil
}

func sameIDs(a, b []logical.Column) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID {
			return false
		}
	}
	return true
}
