package bind

import (
	"strings"

	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/parse"
	"github.com/streamsql/streamsql/planner/types"
)

// selectOut is a bound SELECT block. When hidden is set, rel.node carries
// extra trailing columns that only the sort keys use; the caller drops
// them after sorting and limiting.
type selectOut struct {
	rel    *rel
	keys   []logical.SortKey
	hidden bool
}

// item is one bound select-list entry.
type item struct {
	expr logical.Expr
	name string
}

// ordItem is one ORDER BY entry: a select-list index, or an expression
// (idx < 0).
type ordItem struct {
	idx  int
	expr logical.Expr
	it   *parse.OrderItem
}

// selectBlock binds one SELECT with the query's ORDER BY (nil for a set
// operand): FROM → WHERE → Aggregate → HAVING → Project → DISTINCT, and
// the sort keys over the Project's columns.
func (b *binder) selectBlock(sel *parse.Select, order []*parse.OrderItem, outer *scope, env *cteEnv) (*selectOut, error) {
	outerWins := b.wins
	b.wins = nil
	defer func() { b.wins = outerWins }()
	fi, err := b.from(sel.From, outer, env)
	if err != nil {
		return nil, err
	}
	sc := *fi.sc
	sc.outer = outer
	node, err := b.where(fi.node, &sc, sel.Where, env)
	if err != nil {
		return nil, err
	}
	aggs := newAggSet()
	items, err := b.selectItems(sel, &sc, aggs, env)
	if err != nil {
		return nil, err
	}
	var having logical.Expr
	if sel.Having != nil {
		c := &ectx{sc: &sc, clause: "HAVING", aggs: aggs, env: env}
		if having, err = b.boolExpr(c, sel.Having, "HAVING"); err != nil {
			return nil, err
		}
	}
	ords, err := b.orderItems(order, items, &sc, aggs, env)
	if err != nil {
		return nil, err
	}
	groups, err := b.groupBy(sel.GroupBy, items, &sc, aggs, env)
	if err != nil {
		return nil, err
	}
	var g *grouping
	if len(groups) > 0 || len(aggs.calls) > 0 || having != nil {
		g = &grouping{exprs: groups, byKey: map[string]int{}, aggs: aggs}
		for i, e := range groups {
			name := "?column?"
			if r, ok := e.(*logical.ColumnRef); ok {
				name = r.Name
			}
			col := logical.Column{ID: b.gen.Next(), Name: name, Type: e.Type(), Nullable: b.nullableExpr(e)}
			b.nullable[col.ID] = col.Nullable
			g.cols = append(g.cols, col)
			if !hasSubquery(e) {
				g.byKey[e.String()] = i
			}
		}
		b.windowKeys(groups)
		node = &logical.Aggregate{Input: node, GroupBy: groups, GroupCols: g.cols, Aggs: aggs.calls, AggCols: aggs.cols}
		for i := range items {
			if items[i].expr, err = b.over(g, items[i].expr); err != nil {
				return nil, err
			}
		}
		for i := range ords {
			if ords[i].idx < 0 {
				if ords[i].expr, err = b.over(g, ords[i].expr); err != nil {
					return nil, err
				}
			}
		}
		if having != nil {
			if having, err = b.over(g, having); err != nil {
				return nil, err
			}
			node = &logical.Filter{Input: node, Pred: having}
		}
	}
	if node, err = b.windowNodes(node, g, aggs); err != nil {
		return nil, err
	}
	exprs := make([]logical.Expr, len(items))
	names := make([]string, len(items))
	for i, it := range items {
		exprs[i], names[i] = it.expr, it.name
	}
	for i, o := range ords {
		if o.idx >= 0 {
			continue
		}
		if !hasSubquery(o.expr) {
			for j, e := range exprs {
				if e.String() == o.expr.String() {
					ords[i].idx = j
					break
				}
			}
		}
		if ords[i].idx >= 0 {
			continue
		}
		if sel.Distinct {
			return nil, b.errf(o.it, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
		}
		ords[i].idx = len(exprs)
		exprs = append(exprs, o.expr)
		names = append(names, "?sort?")
	}
	cols := make([]logical.Column, len(exprs))
	for i, e := range exprs {
		cols[i] = logical.Column{ID: b.gen.Next(), Name: names[i], Type: e.Type(), Nullable: b.nullableExpr(e)}
		if r, ok := e.(*logical.ColumnRef); ok {
			cols[i].Table = b.tableOf(&sc, r.ID)
		}
		b.nullable[cols[i].ID] = cols[i].Nullable
	}
	node = &logical.Project{Input: node, Exprs: exprs, Cols: cols}
	if sel.Distinct {
		node = &logical.Distinct{Input: node}
	}
	keys := make([]logical.SortKey, len(ords))
	for i, o := range ords {
		keys[i] = sortKey(o.it, colRef(cols[o.idx]))
	}
	out := &rel{node: node, cols: cols[:len(items)], names: names[:len(items)]}
	return &selectOut{rel: out, keys: keys, hidden: len(exprs) > len(items)}, nil
}

// tableOf returns the qualifier of column id in s, or "".
func (b *binder) tableOf(s *scope, id logical.ColumnID) string {
	for _, c := range s.allCols() {
		if c.ID == id {
			return c.Table
		}
	}
	return ""
}

// where binds WHERE: `[NOT] IN (subquery)` and `[NOT] EXISTS` conjuncts
// become semi / anti joins above a Filter of the other conjuncts.
func (b *binder) where(node logical.Node, sc *scope, w parse.Expr, env *cteEnv) (logical.Node, error) {
	if w == nil {
		return node, nil
	}
	c := &ectx{sc: sc, clause: "WHERE", env: env}
	var pred logical.Expr
	var joins []*logical.Join
	for _, cj := range splitAnd(w) {
		if sub, not, ok := subqueryPred(cj, false); ok {
			j, err := b.subqueryJoin(c, sub, not)
			if err != nil {
				return nil, err
			}
			joins = append(joins, j)
			continue
		}
		x, err := b.boolExpr(c, cj, "WHERE")
		if err != nil {
			return nil, err
		}
		if pred == nil {
			pred = x
		} else if pred, err = b.call(cj, "and", pred, x); err != nil {
			return nil, err
		}
	}
	if pred != nil {
		node = &logical.Filter{Input: node, Pred: pred}
	}
	for _, j := range joins {
		j.Left = node
		node = j
	}
	return node, nil
}

// splitAnd lists the conjuncts of e.
func splitAnd(e parse.Expr) []parse.Expr {
	if bin, ok := e.(*parse.Binary); ok && strings.EqualFold(bin.Op, "AND") {
		return append(splitAnd(bin.L), splitAnd(bin.R)...)
	}
	return []parse.Expr{e}
}

// subqueryPred recognises `[NOT] x IN (SELECT …)` and `[NOT] EXISTS (…)`.
func subqueryPred(e parse.Expr, not bool) (parse.Expr, bool, bool) {
	switch x := e.(type) {
	case *parse.InSubquery:
		return x, x.Not != not, true
	case *parse.Exists:
		return x, x.Not != not, true
	case *parse.Unary:
		if strings.EqualFold(x.Op, "NOT") {
			return subqueryPred(x.X, !not)
		}
	}
	return nil, false, false
}

// subqueryJoin builds the semi (anti for NOT) join of a WHERE subquery
// conjunct; the caller sets its left input.
func (b *binder) subqueryJoin(c *ectx, e parse.Expr, not bool) (*logical.Join, error) {
	kind := logical.SemiJoin
	if not {
		kind = logical.AntiJoin
	}
	switch s := e.(type) {
	case *parse.InSubquery:
		x, err := b.expr(c, s.X)
		if err != nil {
			return nil, err
		}
		r, err := b.query(s.Query, c.sc, c.env)
		if err != nil {
			return nil, err
		}
		if len(r.cols) != 1 {
			return nil, b.errf(s.Query, "subquery has too many columns")
		}
		cond, err := b.operator(s, "=", x, colRef(r.cols[0]))
		if err != nil {
			return nil, err
		}
		return &logical.Join{Right: r.node, Kind: kind, Cond: cond, NullAware: not}, nil
	case *parse.Exists:
		r, err := b.query(s.Query, c.sc, c.env)
		if err != nil {
			return nil, err
		}
		cond := &logical.Literal{Value: true, T: types.BooleanType}
		return &logical.Join{Right: r.node, Kind: kind, Cond: cond}, nil
	}
	return nil, b.errf(e, "unsupported subquery condition %T", e)
}

// selectItems binds the select list, expanding stars.
func (b *binder) selectItems(sel *parse.Select, sc *scope, aggs *aggSet, env *cteEnv) ([]item, error) {
	c := &ectx{sc: sc, clause: "SELECT", aggs: aggs, env: env, wins: &b.wins}
	var items []item
	for _, it := range sel.Items {
		if it == nil {
			return nil, b.errf(sel, "missing select item")
		}
		if !it.Star {
			e, err := b.expr(c, it.Expr)
			if err != nil {
				return nil, err
			}
			name := it.Alias
			if name == "" {
				name = outputName(it.Expr)
			}
			items = append(items, item{expr: e, name: name})
			continue
		}
		cols := sc.vis
		if len(it.StarTable) > 0 {
			q := it.StarTable[len(it.StarTable)-1]
			rels := sc.findRel(q)
			if len(rels) != 1 {
				return nil, b.errf(it, "missing FROM-clause entry for table %q", q)
			}
			cols = rels[0].cols
		} else if len(sel.From) == 0 {
			return nil, b.errf(it, "SELECT * with no tables specified is not valid")
		}
		for _, col := range cols {
			ref := colRef(col)
			b.refs[ref] = refInfo{pos: it.Pos, name: col.Name}
			items = append(items, item{expr: ref, name: col.Name})
		}
	}
	return items, nil
}

// orderItems binds ORDER BY of a SELECT: a bare name matching an output
// name, or an ordinal, refers to that output column; anything else is an
// expression over the input (aggregates allowed).
func (b *binder) orderItems(order []*parse.OrderItem, items []item, sc *scope, aggs *aggSet, env *cteEnv) ([]ordItem, error) {
	c := &ectx{sc: sc, clause: "ORDER BY", aggs: aggs, env: env}
	out := make([]ordItem, len(order))
	for i, it := range order {
		if it == nil {
			return nil, b.errAt(parse.Pos{}, "missing ORDER BY item")
		}
		out[i] = ordItem{idx: -1, it: it}
		if k, ok, err := b.ordinal(it.Expr, len(items), "ORDER BY"); err != nil {
			return nil, err
		} else if ok {
			out[i].idx = k
			continue
		}
		if id, ok := it.Expr.(*parse.Ident); ok && len(id.Parts) == 1 {
			for j, itm := range items {
				if itm.name != id.Parts[0] {
					continue
				}
				if out[i].idx >= 0 && items[out[i].idx].expr.String() != itm.expr.String() {
					return nil, b.errf(id, "ORDER BY %q is ambiguous", id.Parts[0])
				}
				if out[i].idx < 0 {
					out[i].idx = j
				}
			}
			if out[i].idx >= 0 {
				continue
			}
		}
		e, err := b.expr(c, it.Expr)
		if err != nil {
			return nil, err
		}
		out[i].expr = e
	}
	return out, nil
}

// groupBy binds GROUP BY items: ordinals and output aliases (when the name
// is not an input column) reuse the select-list expression.
func (b *binder) groupBy(gb []parse.Expr, items []item, sc *scope, aggs *aggSet, env *cteEnv) ([]logical.Expr, error) {
	c := &ectx{sc: sc, clause: "GROUP BY", env: env}
	var out []logical.Expr
	seen := map[string]bool{}
	for _, g := range gb {
		var e logical.Expr
		k, ok, err := b.ordinal(g, len(items), "GROUP BY")
		if err != nil {
			return nil, err
		}
		if ok {
			e = items[k].expr
		} else if id, isID := g.(*parse.Ident); isID && len(id.Parts) == 1 {
			if _, st := sc.resolveIn(id.Parts); st == notFound {
				for _, itm := range items {
					if itm.name == id.Parts[0] {
						e = itm.expr
						break
					}
				}
			}
		}
		if e != nil && refsAny(e, aggs.ids) {
			return nil, b.errf(g, "aggregate functions are not allowed in GROUP BY")
		}
		if e == nil {
			if e, err = b.expr(c, g); err != nil {
				return nil, err
			}
		}
		if !hasSubquery(e) {
			if seen[e.String()] {
				continue
			}
			seen[e.String()] = true
		}
		out = append(out, e)
	}
	return out, nil
}

// strictFuncs return NULL exactly when an argument is NULL (for
// nullability of output columns).
var strictFuncs = map[string]bool{"+": true, "-": true, "*": true, "=": true, "<>": true, "<": true, "<=": true,
	">": true, ">=": true, "neg": true, "not": true, "||": true, "lower": true, "upper": true}

// nullableExpr reports whether e may yield NULL.
func (b *binder) nullableExpr(e logical.Expr) bool {
	switch x := e.(type) {
	case *logical.ColumnRef:
		n, ok := b.nullable[x.ID]
		return n || !ok
	case *logical.Literal:
		return x.Value == nil
	case *logical.Cast:
		return x.Try || b.nullableExpr(x.X)
	case *logical.Call:
		switch x.Func {
		case "is_null", "is_not_null", "is_distinct_from", "is_not_distinct_from":
			return false
		}
		if !strictFuncs[x.Func] {
			return true
		}
		for _, a := range x.Args {
			if b.nullableExpr(a) {
				return true
			}
		}
		return false
	}
	return true
}

// outputName is the column name Postgres gives an unaliased select item.
func outputName(e parse.Expr) string {
	switch x := e.(type) {
	case *parse.Ident:
		if len(x.Parts) > 0 {
			return x.Parts[len(x.Parts)-1]
		}
	case *parse.FuncCall:
		return strings.ToLower(x.Name)
	case *parse.Cast:
		if n := outputName(x.X); n != "?column?" {
			return n
		}
		if t, ok := types.Parse(x.TypeName); ok {
			return strings.ToLower(t.String())
		}
		return strings.ToLower(x.TypeName)
	case *parse.Case:
		return "case"
	case *parse.Extract:
		return "extract"
	case *parse.TypedLit:
		if t, ok := types.Parse(x.TypeName); ok {
			return strings.ToLower(t.String())
		}
		return strings.ToLower(x.TypeName)
	case *parse.IntervalLit:
		return "interval"
	case *parse.Exists:
		return "exists"
	case *parse.ScalarSubquery:
		if x.Query != nil {
			if sel, ok := x.Query.Body.(*parse.Select); ok && len(sel.Items) == 1 && !sel.Items[0].Star {
				if sel.Items[0].Alias != "" {
					return sel.Items[0].Alias
				}
				return outputName(sel.Items[0].Expr)
			}
		}
	}
	return "?column?"
}
