package bind

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/parse"
	"github.com/streamsql/streamsql/planner/types"
)

// rel is a bound query: its plan and its visible output columns (the
// plan's schema) with the names the user sees.
type rel struct {
	node  logical.Node
	cols  []logical.Column
	names []string
}

// cteEnv is the chain of WITH queries visible at some point, innermost
// first.
type cteEnv struct {
	cte    *parse.CTE
	env    *cteEnv // the CTEs its own body sees (earlier ones)
	outer  *scope  // the scope enclosing the WITH, for correlation checks
	parent *cteEnv
	used   bool // referenced at least once
}

func (e *cteEnv) find(name string) *cteEnv {
	for c := e; c != nil; c = c.parent {
		if c.cte.Name == name {
			return c
		}
	}
	for c := e; c != nil; c = c.parent {
		if strings.EqualFold(c.cte.Name, name) {
			return c
		}
	}
	return nil
}

func (e *cteEnv) names() []string {
	var out []string
	for ; e != nil; e = e.parent {
		out = append(out, e.cte.Name)
	}
	return out
}

// query binds a full query: WITH, body, ORDER BY, LIMIT/OFFSET. outer is
// the scope of the enclosing query (nil at top level).
func (b *binder) query(q *parse.Query, outer *scope, env *cteEnv) (*rel, error) {
	if q == nil || q.Body == nil {
		return nil, b.errAt(parse.Pos{}, "missing query")
	}
	inner, err := b.withCTEs(q.With, outer, env)
	if err != nil {
		return nil, err
	}
	r, err := b.queryBody(q, outer, inner)
	if err != nil {
		return nil, err
	}
	// Bind the CTEs nobody referenced, so their errors are reported too.
	for c := inner; c != env; c = c.parent {
		if !c.used {
			if _, err := b.query(c.cte.Query, c.outer, c.env); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

// queryBody binds everything of q but its WITH list.
func (b *binder) queryBody(q *parse.Query, outer *scope, env *cteEnv) (*rel, error) {
	var err error
	if err := b.bindEmit(q.Emit); err != nil {
		return nil, err
	}
	var r *rel
	var keys []logical.SortKey
	hidden := false
	if sel, ok := q.Body.(*parse.Select); ok {
		so, err := b.selectBlock(sel, q.OrderBy, outer, env)
		if err != nil {
			return nil, err
		}
		r, keys, hidden = so.rel, so.keys, so.hidden
	} else {
		if r, err = b.setExpr(q.Body, outer, env); err != nil {
			return nil, err
		}
		if keys, err = b.orderOutput(q.OrderBy, r, outer, env); err != nil {
			return nil, err
		}
	}
	node := r.node
	if b.opts.Streaming && readsStream(node) {
		switch {
		case len(q.OrderBy) > 0:
			return nil, b.errf(q.OrderBy[0], "ORDER BY needs a bounded input: a stream never ends; rank within windows instead (ROW_NUMBER() OVER (PARTITION BY window_start ORDER BY …) <= N)")
		case q.Limit != nil:
			return nil, b.errf(q.Limit, "LIMIT over a stream is not supported: a stream never ends")
		case q.Offset != nil:
			return nil, b.errf(q.Offset, "OFFSET over a stream is not supported: a stream never ends")
		}
	}
	if len(keys) > 0 {
		node = &logical.Sort{Input: node, Keys: keys}
	}
	if q.Limit != nil || q.Offset != nil {
		count, err := b.limitValue(q.Limit, "LIMIT", env)
		if err != nil {
			return nil, err
		}
		offset, err := b.limitValue(q.Offset, "OFFSET", env)
		if err != nil {
			return nil, err
		}
		if offset < 0 {
			offset = 0
		}
		if count >= 0 || offset > 0 {
			node = &logical.Limit{Input: node, Count: count, Offset: offset}
		}
	}
	if hidden {
		exprs := make([]logical.Expr, len(r.cols))
		cols := make([]logical.Column, len(r.cols))
		for i, c := range r.cols {
			exprs[i] = colRef(c)
			cols[i] = c
			cols[i].ID = b.gen.Next()
			b.nullable[cols[i].ID] = c.Nullable
		}
		node = &logical.Project{Input: node, Exprs: exprs, Cols: cols}
		r = &rel{cols: cols, names: r.names}
	}
	return &rel{node: node, cols: r.cols, names: r.names}, nil
}

// withCTEs extends env with a WITH list; each CTE sees the earlier ones.
// Each reference binds a CTE afresh, with new column ids.
func (b *binder) withCTEs(ctes []*parse.CTE, outer *scope, env *cteEnv) (*cteEnv, error) {
	seen := map[string]bool{}
	for _, c := range ctes {
		if c == nil {
			return nil, b.errAt(parse.Pos{}, "missing WITH query")
		}
		if seen[c.Name] {
			return nil, b.errf(c, "WITH query name %q specified more than once", c.Name)
		}
		seen[c.Name] = true
		if c.Query == nil {
			return nil, b.errf(c, "WITH query %q has no body", c.Name)
		}
		env = &cteEnv{cte: c, env: env, outer: outer, parent: env}
	}
	return env, nil
}

// limitValue evaluates LIMIT or OFFSET: -1 when absent, ALL or NULL.
func (b *binder) limitValue(e parse.Expr, what string, env *cteEnv) (int64, error) {
	if e == nil {
		return -1, nil
	}
	if id, ok := e.(*parse.Ident); ok && len(id.Parts) == 1 && strings.EqualFold(id.Parts[0], "all") {
		return -1, nil
	}
	if _, ok := e.(*parse.Ident); ok {
		return 0, b.errf(e, "argument of %s must not contain variables", what)
	}
	c := &ectx{sc: &scope{}, clause: what, env: env}
	x, err := b.expr(c, e)
	if err != nil {
		return 0, err
	}
	if !x.Type().IsNumeric() && x.Type().Kind != types.Null && x.Type().Kind != types.Varchar {
		return 0, b.errf(e, "argument of %s must be type BIGINT, not type %s", what, x.Type())
	}
	v, null, ok := b.constInt(x)
	if !ok {
		if lit, isLit := b.untypedLit(x); isLit {
			return 0, b.errf(e, "invalid input syntax for type bigint: %q", lit.Value)
		}
		return 0, b.errf(e, "argument of %s must be a constant integer expression", what)
	}
	if null {
		return -1, nil
	}
	if v < 0 {
		return 0, b.errf(e, "%s must not be negative", what)
	}
	return v, nil
}

// setExpr binds a query body other than through query's SELECT path.
func (b *binder) setExpr(body parse.SetExpr, outer *scope, env *cteEnv) (*rel, error) {
	switch s := body.(type) {
	case *parse.Select:
		so, err := b.selectBlock(s, nil, outer, env)
		if err != nil {
			return nil, err
		}
		return so.rel, nil
	case *parse.ParenQuery:
		return b.query(s.Query, outer, env)
	case *parse.Values:
		return b.values(s, outer, env)
	case *parse.SetOp:
		return b.setOp(s, outer, env)
	case nil:
		return nil, b.errAt(parse.Pos{}, "missing query body")
	}
	return nil, b.errf(body, "unsupported query body %T", body)
}

var setOpNames = [...]string{parse.Union: "UNION", parse.Intersect: "INTERSECT", parse.Except: "EXCEPT"}

func setOpName(k parse.SetOpKind) string {
	if int(k) < len(setOpNames) {
		return setOpNames[k]
	}
	return fmt.Sprintf("set operation %d", k)
}

// unionLeaves flattens nested UNIONs that may share one Union node: inside
// a UNION ALL only UNION ALL children, inside a UNION (distinct) any UNION.
func unionLeaves(s *parse.SetOp) []parse.SetExpr {
	var out []parse.SetExpr
	for _, side := range []parse.SetExpr{s.Left, s.Right} {
		if c, ok := side.(*parse.SetOp); ok && c.Op == parse.Union && (c.All || !s.All) {
			out = append(out, unionLeaves(c)...)
		} else {
			out = append(out, side)
		}
	}
	return out
}

func (b *binder) setOp(s *parse.SetOp, outer *scope, env *cteEnv) (*rel, error) {
	name := setOpName(s.Op)
	if s.All && s.Op != parse.Union {
		return nil, b.errf(s, "%s ALL is not supported (use %s)", name, name)
	}
	leaves := []parse.SetExpr{s.Left, s.Right}
	if s.Op == parse.Union {
		leaves = unionLeaves(s)
	}
	inputs := make([]*rel, len(leaves))
	for i, l := range leaves {
		var err error
		if inputs[i], err = b.setExpr(l, outer, env); err != nil {
			return nil, err
		}
		if i > 0 && len(inputs[i].cols) != len(inputs[0].cols) {
			return nil, b.errf(l, "each %s query must have the same number of columns", name)
		}
	}
	n := len(inputs[0].cols)
	colTypes := make([]types.Type, n)
	nullable := make([]bool, n)
	for j := 0; j < n; j++ {
		t := inputs[0].cols[j].Type
		for i, in := range inputs {
			nt, ok := types.Common(t, in.cols[j].Type)
			if !ok {
				return nil, b.errf(leaves[i], "%s types %s and %s cannot be matched", name, t, in.cols[j].Type)
			}
			t = nt
			nullable[j] = nullable[j] || in.cols[j].Nullable
		}
		colTypes[j] = t
	}
	nodes := make([]logical.Node, len(inputs))
	for i, in := range inputs {
		nodes[i] = b.castColumns(in, colTypes)
	}
	names := inputs[0].names
	if s.Op == parse.Union {
		cols := make([]logical.Column, n)
		for j := range cols {
			cols[j] = logical.Column{ID: b.gen.Next(), Name: names[j], Type: colTypes[j], Nullable: nullable[j]}
			b.nullable[cols[j].ID] = nullable[j]
		}
		var node logical.Node = &logical.Union{Inputs: nodes, Cols: cols}
		if !s.All {
			node = &logical.Distinct{Input: node}
		}
		return &rel{node: node, cols: cols, names: names}, nil
	}
	left, right := nodes[0].Schema(), nodes[1].Schema()
	var cond logical.Expr
	for j := 0; j < n; j++ {
		eq, err := b.call(s, "is_not_distinct_from", colRef(left[j]), colRef(right[j]))
		if err != nil {
			return nil, err
		}
		if cond == nil {
			cond = eq
		} else if cond, err = b.call(s, "and", cond, eq); err != nil {
			return nil, err
		}
	}
	if cond == nil {
		cond = &logical.Literal{Value: true, T: types.BooleanType}
	}
	kind := logical.SemiJoin
	if s.Op == parse.Except {
		kind = logical.AntiJoin
	}
	join := &logical.Join{Left: nodes[0], Right: nodes[1], Kind: kind, Cond: cond}
	return &rel{node: &logical.Distinct{Input: join}, cols: left, names: names}, nil
}

// castColumns returns r's plan with its columns cast to ts, adding a
// Project only when some type differs.
func (b *binder) castColumns(r *rel, ts []types.Type) logical.Node {
	same := true
	for j, c := range r.cols {
		if c.Type != ts[j] {
			same = false
		}
	}
	if same {
		return r.node
	}
	exprs := make([]logical.Expr, len(r.cols))
	cols := make([]logical.Column, len(r.cols))
	for j, c := range r.cols {
		exprs[j] = castTo(colRef(c), ts[j])
		cols[j] = logical.Column{ID: b.gen.Next(), Name: c.Name, Type: ts[j], Nullable: c.Nullable}
		b.nullable[cols[j].ID] = c.Nullable
	}
	return &logical.Project{Input: r.node, Exprs: exprs, Cols: cols}
}

func (b *binder) values(v *parse.Values, outer *scope, env *cteEnv) (*rel, error) {
	if len(v.Rows) == 0 || len(v.Rows[0]) == 0 {
		return nil, b.errf(v, "VALUES needs at least one row and one column")
	}
	width := len(v.Rows[0])
	c := &ectx{sc: &scope{outer: outer}, clause: "VALUES", env: env}
	rows := make([][]logical.Expr, len(v.Rows))
	for i, row := range v.Rows {
		if len(row) != width {
			var at parse.Node = v
			if len(row) > 0 {
				at = row[0]
			}
			return nil, b.errf(at, "VALUES lists must all be the same length")
		}
		var err error
		if rows[i], err = b.exprs(c, row); err != nil {
			return nil, err
		}
	}
	cols := make([]logical.Column, width)
	names := make([]string, width)
	for j := 0; j < width; j++ {
		col := make([]logical.Expr, len(rows))
		nodes := make([]parse.Node, len(rows))
		for i := range rows {
			col[i], nodes[i] = rows[i][j], v.Rows[i][j]
		}
		if h := b.hint; h != nil && h.values == v && j < len(h.types) && wantsCoercion(h.types[j]) {
			for i, x := range col {
				if lit, ok := b.untypedLit(x); ok {
					var err error
					if col[i], err = b.coerceLit(lit, h.types[j]); err != nil {
						return nil, err
					}
				}
			}
		}
		t, err := b.unify(col, nodes, "VALUES")
		if err != nil {
			return nil, err
		}
		nullable := false
		for i := range rows {
			rows[i][j] = castTo(col[i], t)
			nullable = nullable || b.nullableExpr(rows[i][j])
		}
		names[j] = fmt.Sprintf("column%d", j+1)
		cols[j] = logical.Column{ID: b.gen.Next(), Name: names[j], Type: t, Nullable: nullable}
		b.nullable[cols[j].ID] = nullable
	}
	return &rel{node: &logical.Values{Rows: rows, Cols: cols}, cols: cols, names: names}, nil
}

// orderOutput binds the ORDER BY of a set operation or VALUES: output
// names, ordinals, or expressions over the output columns.
func (b *binder) orderOutput(items []*parse.OrderItem, r *rel, outer *scope, env *cteEnv) ([]logical.SortKey, error) {
	if len(items) == 0 {
		return nil, nil
	}
	sc := &scope{outer: outer}
	for i, c := range r.cols {
		c.Name = r.names[i]
		c.Table = ""
		sc.vis = append(sc.vis, c)
	}
	c := &ectx{sc: sc, clause: "ORDER BY", env: env}
	keys := make([]logical.SortKey, len(items))
	for i, it := range items {
		if it == nil {
			return nil, b.errAt(parse.Pos{}, "missing ORDER BY item")
		}
		var x logical.Expr
		if k, ok, err := b.ordinal(it.Expr, len(r.cols), "ORDER BY"); err != nil {
			return nil, err
		} else if ok {
			x = colRef(r.cols[k])
		} else if x, err = b.expr(c, it.Expr); err != nil {
			return nil, err
		}
		keys[i] = sortKey(it, x)
	}
	return keys, nil
}

// ordinal recognises `ORDER BY 2` / `GROUP BY 2` and returns the 0-based
// index; a non-integer literal is not an ordinal.
func (b *binder) ordinal(e parse.Expr, n int, clause string) (int, bool, error) {
	lit, ok := e.(*parse.Literal)
	if !ok || lit.Kind != parse.NumberLit || strings.ContainsAny(lit.Raw, ".eE") {
		return 0, false, nil
	}
	var k int
	if _, err := fmt.Sscan(lit.Raw, &k); err != nil || k < 1 || k > n {
		return 0, false, b.errf(e, "%s position %s is not in select list", clause, lit.Raw)
	}
	return k - 1, true, nil
}

// sortKey applies the Postgres NULLS default: LAST ascending, FIRST
// descending.
func sortKey(it *parse.OrderItem, x logical.Expr) logical.SortKey {
	k := logical.SortKey{Expr: x, Desc: it.Desc, NullsFirst: it.Desc}
	if it.NullsFirst != nil {
		k.NullsFirst = *it.NullsFirst
	}
	return k
}
