package rules

import (
	"fmt"

	"github.com/streamsql/streamsql/planner/logical"
)

// TransformUp rebuilds n bottom-up: the children are transformed first,
// then f is applied to the node (rebuilt with the new children if any
// changed). It reports whether anything changed. Input nodes are never
// modified. Subquery plans inside expressions are not entered.
func TransformUp(n logical.Node, f func(logical.Node) (logical.Node, bool, error)) (logical.Node, bool, error) {
	kids := n.Children()
	changed := false
	if len(kids) > 0 {
		newKids := make([]logical.Node, len(kids))
		for i, k := range kids {
			nk, c, err := TransformUp(k, f)
			if err != nil {
				return n, false, err
			}
			newKids[i] = nk
			changed = changed || c
		}
		if changed {
			m, err := n.WithChildren(newKids...)
			if err != nil {
				return n, false, fmt.Errorf("transforming %T: %w", n, err)
			}
			n = m
		}
	}
	m, c, err := f(n)
	if err != nil {
		return n, false, err
	}
	if m == nil {
		return n, changed, nil
	}
	return m, changed || c, nil
}

// MapExprs applies f to every expression n itself holds (Scan filters,
// Values cells, Filter predicate, Project expressions, group keys,
// aggregate arguments and FILTERs, sort keys, join condition), not to its
// children. It returns a copy of n when f changed an expression (returned
// a different pointer), else n and false.
func MapExprs(n logical.Node, f func(logical.Expr) (logical.Expr, error)) (logical.Node, bool, error) {
	changed := false
	var err error
	m := func(e logical.Expr) logical.Expr {
		if e == nil || err != nil {
			return e
		}
		var out logical.Expr
		out, err = f(e)
		if err != nil || out == nil {
			return e
		}
		if out != e {
			changed = true
		}
		return out
	}
	list := func(es []logical.Expr) []logical.Expr {
		out := make([]logical.Expr, len(es))
		for i, e := range es {
			out[i] = m(e)
		}
		return out
	}
	keys := func(ks []logical.SortKey) []logical.SortKey {
		out := make([]logical.SortKey, len(ks))
		for i, k := range ks {
			out[i] = k
			out[i].Expr = m(k.Expr)
		}
		return out
	}
	var res logical.Node
	switch n := n.(type) {
	case *logical.Scan:
		c := *n
		c.Filters = list(n.Filters)
		res = &c
	case *logical.Values:
		c := *n
		c.Rows = make([][]logical.Expr, len(n.Rows))
		for i, r := range n.Rows {
			c.Rows[i] = list(r)
		}
		res = &c
	case *logical.Filter:
		c := *n
		c.Pred = m(n.Pred)
		res = &c
	case *logical.Project:
		c := *n
		c.Exprs = list(n.Exprs)
		res = &c
	case *logical.Aggregate:
		c := *n
		c.GroupBy = list(n.GroupBy)
		c.Aggs = make([]logical.AggCall, len(n.Aggs))
		for i, a := range n.Aggs {
			c.Aggs[i] = a
			c.Aggs[i].Args = list(a.Args)
			c.Aggs[i].Filter = m(a.Filter)
		}
		res = &c
	case *logical.Sort:
		c := *n
		c.Keys = keys(n.Keys)
		res = &c
	case *logical.TopN:
		c := *n
		c.Keys = keys(n.Keys)
		res = &c
	case *logical.RowNumber:
		c := *n
		c.Partition = list(n.Partition)
		c.Order = keys(n.Order)
		res = &c
	case *logical.Join:
		c := *n
		c.Cond = m(n.Cond)
		res = &c
	default: // Limit, Union, Distinct hold no expressions
		return n, false, nil
	}
	if err != nil {
		return n, false, err
	}
	if !changed {
		return n, false, nil
	}
	return res, true, nil
}

// nodeExprs lists the expressions MapExprs would visit, in the same order.
func nodeExprs(n logical.Node) []logical.Expr {
	var out []logical.Expr
	_, _, _ = MapExprs(n, func(e logical.Expr) (logical.Expr, error) {
		out = append(out, e)
		return e, nil
	})
	return out
}

// planEqual reports whether a and b are structurally identical trees.
// Tables are not compared (Name is); subqueries compare by plan identity.
func planEqual(a, b logical.Node) bool {
	if a == b {
		return true
	}
	if fmt.Sprintf("%T", a) != fmt.Sprintf("%T", b) || !colsEqual(a.Schema(), b.Schema()) {
		return false
	}
	switch x := a.(type) {
	case *logical.Scan:
		y := b.(*logical.Scan)
		if x.Name != y.Name || x.Limit != y.Limit || !intsEqual(x.Ordinals, y.Ordinals) {
			return false
		}
	case *logical.Values:
		if len(x.Rows) != len(b.(*logical.Values).Rows) {
			return false
		}
	case *logical.Project:
		if !colsEqual(x.Cols, b.(*logical.Project).Cols) {
			return false
		}
	case *logical.Aggregate:
		y := b.(*logical.Aggregate)
		if len(x.Aggs) != len(y.Aggs) {
			return false
		}
		for i := range x.Aggs {
			if x.Aggs[i].Func != y.Aggs[i].Func || x.Aggs[i].Distinct != y.Aggs[i].Distinct || x.Aggs[i].T != y.Aggs[i].T ||
				len(x.Aggs[i].Args) != len(y.Aggs[i].Args) {
				return false
			}
		}
	case *logical.Sort:
		if !keyFlagsEqual(x.Keys, b.(*logical.Sort).Keys) {
			return false
		}
	case *logical.TopN:
		y := b.(*logical.TopN)
		if x.Count != y.Count || x.Offset != y.Offset || !keyFlagsEqual(x.Keys, y.Keys) {
			return false
		}
	case *logical.Limit:
		y := b.(*logical.Limit)
		if x.Count != y.Count || x.Offset != y.Offset {
			return false
		}
	case *logical.Join:
		y := b.(*logical.Join)
		if x.Kind != y.Kind || x.NullAware != y.NullAware {
			return false
		}
	case *logical.RowNumber:
		y := b.(*logical.RowNumber)
		if len(x.Partition) != len(y.Partition) || !keyFlagsEqual(x.Order, y.Order) {
			return false
		}
	}
	ea, eb := nodeExprs(a), nodeExprs(b)
	if !exprsEqual(ea, eb) {
		return false
	}
	ka, kb := a.Children(), b.Children()
	if len(ka) != len(kb) {
		return false
	}
	for i := range ka {
		if !planEqual(ka[i], kb[i]) {
			return false
		}
	}
	return true
}

func keyFlagsEqual(a, b []logical.SortKey) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Desc != b[i].Desc || a[i].NullsFirst != b[i].NullsFirst {
			return false
		}
	}
	return true
}

func intsEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// colsEqual compares what a schema promises: ids, names and types.
func colsEqual(a, b []logical.Column) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Name != b[i].Name || a[i].Type != b[i].Type {
			return false
		}
	}
	return true
}

// emptyValues is a relation with no rows and the given columns.
func emptyValues(cols []logical.Column) *logical.Values {
	return &logical.Values{Cols: append([]logical.Column{}, cols...)}
}

func isEmpty(n logical.Node) bool {
	v, ok := n.(*logical.Values)
	return ok && len(v.Rows) == 0
}

// changedResult returns (m, true) when m differs structurally from n, else
// (n, false): rules rebuild freely and report only real changes, which
// keeps Optimize's fixpoint honest.
func changedResult(n, m logical.Node) (logical.Node, bool, error) {
	if planEqual(n, m) {
		return n, false, nil
	}
	return m, true, nil
}
