package bind

import (
	"strings"

	"github.com/streamsql/streamsql/planner/functions"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/parse"
	"github.com/streamsql/streamsql/planner/types"
)

// aggSet collects the aggregate calls of one SELECT. Each distinct call
// becomes an output column of the Aggregate node; the expressions that use
// it read that column.
type aggSet struct {
	calls []logical.AggCall
	cols  []logical.Column
	byKey map[string]int
	ids   map[logical.ColumnID]bool
}

func newAggSet() *aggSet {
	return &aggSet{byKey: map[string]int{}, ids: map[logical.ColumnID]bool{}}
}

// add registers call (deduplicated by its text) and returns a reference to
// its output column.
func (a *aggSet) add(b *binder, call logical.AggCall) *logical.ColumnRef {
	key := call.String()
	i, ok := a.byKey[key]
	if !ok || hasSubquery(call.Args...) || (call.Filter != nil && hasSubquery(call.Filter)) {
		col := logical.Column{ID: b.gen.Next(), Name: call.Func, Type: call.T, Nullable: call.Func != "count"}
		a.calls = append(a.calls, call)
		a.cols = append(a.cols, col)
		a.ids[col.ID] = true
		i = len(a.calls) - 1
		a.byKey[key] = i
		b.nullable[col.ID] = col.Nullable
	}
	c := a.cols[i]
	return &logical.ColumnRef{ID: c.ID, Name: c.Name, T: c.Type}
}

// streamingWindows are the group-window functions of streaming queries.
var streamingWindows = map[string]bool{"tumble": true, "hop": true, "session": true}

// funcCall binds a function call: a scalar function, or an aggregate where
// the context collects them.
func (b *binder) funcCall(c *ectx, e *parse.FuncCall) (logical.Expr, error) {
	name := strings.ToLower(e.Name)
	if e.Over != nil {
		return b.windowFunc(c, e, name)
	}
	if streamingWindows[name] {
		return b.groupWindow(c, e, name)
	}
	f, ok := functions.Lookup(name)
	if !ok {
		var names []string
		for _, g := range functions.All() {
			if g.Name != "" && (g.Name[0] >= 'a' && g.Name[0] <= 'z') {
				names = append(names, g.Name)
				names = append(names, g.Aliases...)
			}
		}
		return nil, b.errf(e, "function %s does not exist%s", name, suggest(name, names))
	}
	if f.Kind == functions.Aggregate {
		return b.aggCall(c, e, f)
	}
	switch {
	case e.Star:
		return nil, b.errf(e, "%s(*) is not valid: * is only allowed in COUNT(*)", name)
	case e.Distinct:
		return nil, b.errf(e, "DISTINCT specified, but %s is not an aggregate function", name)
	case e.Filter != nil:
		return nil, b.errf(e, "FILTER specified, but %s is not an aggregate function", name)
	}
	args, err := b.exprs(c, e.Args)
	if err != nil {
		return nil, err
	}
	return b.call(e, f.Name, args...)
}

func (b *binder) aggCall(c *ectx, e *parse.FuncCall, f *functions.Function) (logical.Expr, error) {
	switch {
	case c.inAgg:
		return nil, b.errf(e, "aggregate function calls cannot be nested")
	case c.aggs == nil:
		return nil, b.errf(e, "aggregate functions are not allowed in %s", c.clause)
	}
	inner := *c
	inner.inAgg = true
	inner.aggs = nil
	call := logical.AggCall{Func: f.Name, Distinct: e.Distinct}
	if e.Star {
		if f.Name != "count" || len(e.Args) > 0 {
			return nil, b.errf(e, "%s(*) is not valid: * is only allowed in COUNT(*)", e.Name)
		}
		if e.Distinct {
			return nil, b.errf(e, "COUNT(DISTINCT *) is not valid")
		}
		call.T = types.BigintType
		if _, sig, err := functions.Resolve(f.Name, nil); err == nil {
			call.T = sig.Return
		}
	} else {
		args, err := b.exprs(&inner, e.Args)
		if err != nil {
			return nil, err
		}
		ts := make([]types.Type, len(args))
		for i, a := range args {
			ts[i] = a.Type()
		}
		_, sig, err := functions.Resolve(f.Name, ts)
		if err != nil {
			return nil, b.errf(e, "%v", err)
		}
		if call.Args, err = b.castArgs(e, f.Name, args, sig); err != nil {
			return nil, err
		}
		call.T = sig.Return
	}
	if e.Filter != nil {
		fc := *c
		fc.aggs = nil
		fc.clause = "FILTER"
		pred, err := b.boolExpr(&fc, e.Filter, "FILTER")
		if err != nil {
			return nil, err
		}
		call.Filter = pred
	}
	return c.aggs.add(b, call), nil
}

// hasSubquery reports whether any of es contains a scalar subquery (whose
// String() does not identify it, so it must not be matched by text).
func hasSubquery(es ...logical.Expr) bool {
	found := false
	for _, e := range es {
		logical.Walk(e, func(x logical.Expr) {
			if _, ok := x.(*logical.Subquery); ok {
				found = true
			}
		})
	}
	return found
}

// refsAny reports whether e reads any column in ids.
func refsAny(e logical.Expr, ids map[logical.ColumnID]bool) bool {
	found := false
	logical.Walk(e, func(x logical.Expr) {
		if r, ok := x.(*logical.ColumnRef); ok && ids[r.ID] {
			found = true
		}
	})
	return found
}

// rewrite rebuilds e bottom-up after giving f a chance to replace each node
// top-down: f returns (replacement, true) to stop descending.
func rewrite(e logical.Expr, f func(logical.Expr) (logical.Expr, bool, error)) (logical.Expr, error) {
	if r, done, err := f(e); err != nil || done {
		return r, err
	}
	var err error
	switch x := e.(type) {
	case *logical.Call:
		n := *x
		n.Args = make([]logical.Expr, len(x.Args))
		for i, a := range x.Args {
			if n.Args[i], err = rewrite(a, f); err != nil {
				return nil, err
			}
		}
		return &n, nil
	case *logical.Cast:
		n := *x
		if n.X, err = rewrite(x.X, f); err != nil {
			return nil, err
		}
		return &n, nil
	case *logical.Case:
		n := *x
		n.Whens = make([]logical.When, len(x.Whens))
		for i, w := range x.Whens {
			if n.Whens[i].Cond, err = rewrite(w.Cond, f); err != nil {
				return nil, err
			}
			if n.Whens[i].Result, err = rewrite(w.Result, f); err != nil {
				return nil, err
			}
		}
		if n.Else, err = rewrite(x.Else, f); err != nil {
			return nil, err
		}
		return &n, nil
	case *logical.InList:
		n := *x
		if n.X, err = rewrite(x.X, f); err != nil {
			return nil, err
		}
		n.List = make([]logical.Expr, len(x.List))
		for i, a := range x.List {
			if n.List[i], err = rewrite(a, f); err != nil {
				return nil, err
			}
		}
		return &n, nil
	}
	return e, nil
}

// grouping maps expressions over an Aggregate's input to its outputs.
type grouping struct {
	exprs []logical.Expr
	cols  []logical.Column
	byKey map[string]int
	aggs  *aggSet
}

// over rewrites e (bound over the Aggregate's input) to read the
// Aggregate's outputs: grouped expressions become their group column, and
// any other input column is an error.
func (b *binder) over(g *grouping, e logical.Expr) (logical.Expr, error) {
	return rewrite(e, func(x logical.Expr) (logical.Expr, bool, error) {
		for i, ge := range g.exprs {
			if ge == x {
				return colRef(g.cols[i]), true, nil
			}
		}
		if _, ok := x.(*logical.Literal); !ok && !hasSubquery(x) {
			if i, ok := g.byKey[x.String()]; ok {
				return colRef(g.cols[i]), true, nil
			}
		}
		if r, ok := x.(*logical.ColumnRef); ok {
			if g.aggs.ids[r.ID] {
				return r, true, nil
			}
			info, known := b.refs[r]
			name := r.Name
			if known {
				name = info.name
			}
			return nil, true, b.errAt(info.pos, "column %q must appear in the GROUP BY clause or be used in an aggregate function", name)
		}
		return nil, false, nil
	})
}

func colRef(c logical.Column) *logical.ColumnRef {
	return &logical.ColumnRef{ID: c.ID, Name: c.Name, T: c.Type}
}
