package bind

import (
	"errors"
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/parse"
	"github.com/streamsql/streamsql/planner/types"
)

// fromItem is a bound FROM item: its plan and the names it provides.
type fromItem struct {
	node logical.Node
	sc   *scope
}

// viewLoopSuffix ends the message for a view that refers to itself.
const viewLoopSuffix = " refers to itself"

// maxViewDepth bounds view expansion (views of views of …).
const maxViewDepth = 32

// from binds a FROM clause; comma-separated items are cross joined. An
// empty FROM is a single row without columns.
func (b *binder) from(items []parse.TableExpr, outer *scope, env *cteEnv) (*fromItem, error) {
	if len(items) == 0 {
		return &fromItem{node: &logical.Values{Rows: [][]logical.Expr{{}}}, sc: &scope{}}, nil
	}
	acc, err := b.tableExpr(items[0], outer, env)
	if err != nil {
		return nil, err
	}
	for _, it := range items[1:] {
		r, err := b.tableExpr(it, outer, env)
		if err != nil {
			return nil, err
		}
		sc, err := b.merge(acc.sc, r.sc, it)
		if err != nil {
			return nil, err
		}
		acc = &fromItem{node: &logical.Join{Left: acc.node, Right: r.node, Kind: logical.CrossJoin}, sc: sc}
	}
	return acc, nil
}

func (b *binder) tableExpr(te parse.TableExpr, outer *scope, env *cteEnv) (*fromItem, error) {
	switch t := te.(type) {
	case *parse.TableName:
		if t.AsOf != nil {
			return b.tableAsOf(t)
		}
		return b.tableName(t, t.Name, t.Alias, outer, env)
	case *parse.Subquery:
		r, err := b.query(t.Query, outer, env)
		if err != nil {
			return nil, err
		}
		return b.derived(t, r, t.Alias, t.Columns)
	case *parse.TableFunc:
		return b.tableFunc(t, outer, env)
	case *parse.Join:
		return b.join(t, outer, env)
	case nil:
		return nil, b.errAt(parse.Pos{}, "missing FROM item")
	}
	return nil, b.errf(te, "unsupported FROM item %T", te)
}

// tableName binds a named relation: a CTE, a view or a catalog table.
func (b *binder) tableName(n parse.Node, name []string, alias string, outer *scope, env *cteEnv) (*fromItem, error) {
	if len(name) == 0 {
		return nil, b.errf(n, "missing table name")
	}
	qual := alias
	if qual == "" {
		qual = name[len(name)-1]
	}
	if len(name) == 1 {
		if e := env.find(name[0]); e != nil {
			e.used = true
			r, err := b.query(e.cte.Query, e.outer, e.env)
			if err != nil {
				return nil, err
			}
			if len(e.cte.Columns) > len(r.cols) {
				return nil, b.errf(e.cte, "WITH query %q has %d columns available but %d columns specified",
					e.cte.Name, len(r.cols), len(e.cte.Columns))
			}
			return b.derived(n, r, qual, e.cte.Columns)
		}
	}
	tab, view, err := b.lookup(name)
	if err != nil {
		return nil, b.tableError(n, name, err, env.names())
	}
	if view != nil {
		return b.view(n, name, view.SQL, view.Columns, qual)
	}
	return b.scanTable(n, name, qual, tab)
}

// scanTable binds a scan of catalog table tab, named name, as qual.
func (b *binder) scanTable(n parse.Node, name []string, qual string, tab catalog.Table) (*fromItem, error) {
	schema := tab.Schema()
	if schema == nil {
		return nil, b.errf(n, "table %q has no schema", strings.Join(name, "."))
	}
	cols := make([]logical.Column, schema.NumFields())
	ords := make([]int, len(cols))
	for i, f := range schema.Fields() {
		t, err := types.FromField(f)
		if err != nil {
			return nil, b.errf(n, "table %q column %q: %v", strings.Join(name, "."), f.Name, err)
		}
		cols[i] = logical.Column{ID: b.gen.Next(), Name: f.Name, Table: qual, Type: t, Nullable: f.Nullable}
		b.nullable[cols[i].ID] = f.Nullable
		ords[i] = i
	}
	if st, ok := tab.(*catalog.StreamTable); ok && b.opts.Streaming {
		if i := st.TimeColumn(); i >= 0 {
			b.timeCols[cols[i].ID] = true
		}
	}
	scan := &logical.Scan{Table: tab, Name: strings.Join(name, "."), Cols: cols, Ordinals: ords, Limit: -1}
	return &fromItem{node: scan, sc: &scope{vis: cols, rels: []*relation{{qual: qual, cols: cols}}}}, nil
}

// view parses and binds a view's stored query like a subquery named qual.
func (b *binder) view(n parse.Node, name []string, sql string, colNames []string, qual string) (*fromItem, error) {
	full := strings.Join(name, ".")
	for _, v := range b.views {
		if strings.EqualFold(v, full) {
			return nil, b.errf(n, "view %q"+viewLoopSuffix, full)
		}
	}
	if len(b.views) >= maxViewDepth {
		return nil, b.errf(n, "views nested too deeply at %q", full)
	}
	stmt, err := parse.ParseOne(sql)
	if err != nil {
		return nil, b.errf(n, "view %q: %s", full, flatError(err))
	}
	q, ok := stmt.(*parse.Query)
	if !ok {
		return nil, b.errf(n, "view %q is not a query", full)
	}
	child := *b
	child.src = sql
	child.views = append(append([]string(nil), b.views...), full)
	r, err := child.query(q, nil, nil)
	if err != nil {
		var pe *parse.Error
		if errors.As(err, &pe) && strings.HasSuffix(pe.Msg, viewLoopSuffix) {
			return nil, b.errf(n, "%s", pe.Msg) // report a cycle at the outermost reference
		}
		return nil, b.errf(n, "view %q: %s", full, flatError(err))
	}
	return b.derived(n, r, qual, colNames)
}

// flatError renders err on one line, giving a parse.Error's position in
// words (its source is another text than the statement's).
func flatError(err error) string {
	var pe *parse.Error
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s (line %d, column %d of its definition)", pe.Msg, pe.Pos.Line, pe.Pos.Col)
	}
	return err.Error()
}

// derived makes a bound query a FROM item named qual, renaming its first
// columns to aliases.
func (b *binder) derived(n parse.Node, r *rel, qual string, aliases []string) (*fromItem, error) {
	if len(aliases) > len(r.cols) {
		return nil, b.errf(n, "table %q has %d columns available but %d columns specified", qual, len(r.cols), len(aliases))
	}
	if dup := checkUnique(aliases); dup != "" {
		return nil, b.errf(n, "column name %q specified more than once", dup)
	}
	cols := make([]logical.Column, len(r.cols))
	for i, c := range r.cols {
		c.Name = r.names[i]
		if i < len(aliases) {
			c.Name = aliases[i]
		}
		c.Table = qual
		cols[i] = c
	}
	return &fromItem{node: r.node, sc: &scope{vis: cols, rels: []*relation{{qual: qual, cols: cols}}}}, nil
}

var joinKinds = map[parse.JoinKind]logical.JoinKind{
	parse.InnerJoin: logical.InnerJoin, parse.LeftJoin: logical.LeftJoin, parse.RightJoin: logical.RightJoin,
	parse.FullJoin: logical.FullJoin, parse.CrossJoin: logical.CrossJoin,
}

// padded marks every column of s nullable (the outer side of a join).
func (b *binder) padded(s *scope) *scope {
	f := func(cols []logical.Column) []logical.Column {
		out := make([]logical.Column, len(cols))
		for i, c := range cols {
			c.Nullable = true
			b.nullable[c.ID] = true
			out[i] = c
		}
		return out
	}
	ns := &scope{vis: f(s.vis)}
	for _, r := range s.rels {
		ns.rels = append(ns.rels, &relation{qual: r.qual, cols: f(r.cols)})
	}
	return ns
}

func (b *binder) join(j *parse.Join, outer *scope, env *cteEnv) (*fromItem, error) {
	kind, ok := joinKinds[j.Kind]
	if !ok {
		return nil, b.errf(j, "unsupported join kind %d", j.Kind)
	}
	l, err := b.tableExpr(j.Left, outer, env)
	if err != nil {
		return nil, err
	}
	r, err := b.tableExpr(j.Right, outer, env)
	if err != nil {
		return nil, err
	}
	ls, rs := l.sc, r.sc
	if kind == logical.LeftJoin || kind == logical.FullJoin {
		rs = b.padded(rs)
	}
	if kind == logical.RightJoin || kind == logical.FullJoin {
		ls = b.padded(ls)
	}
	sc, err := b.merge(ls, rs, j.Right)
	if err != nil {
		return nil, err
	}
	switch {
	case kind == logical.CrossJoin:
		return &fromItem{node: &logical.Join{Left: l.node, Right: r.node, Kind: kind}, sc: sc}, nil
	case j.Natural || j.Using != nil:
		return b.usingJoin(j, kind, l.node, r.node, ls, rs, sc)
	case j.On == nil:
		return nil, b.errf(j, "JOIN needs an ON or USING condition")
	}
	on := *sc
	on.outer = outer
	c := &ectx{sc: &on, clause: "JOIN conditions", env: env}
	cond, err := b.boolExpr(c, j.On, "JOIN/ON")
	if err != nil {
		return nil, err
	}
	return &fromItem{node: &logical.Join{Left: l.node, Right: r.node, Kind: kind, Cond: cond}, sc: sc}, nil
}

// usingJoin binds JOIN … USING (cols) and NATURAL JOIN: each shared column
// appears once, first in `*`: the left side's (the right's for RIGHT
// JOIN, COALESCE of both for FULL JOIN); t.a and u.a stay reachable.
func (b *binder) usingJoin(j *parse.Join, kind logical.JoinKind, ln, rn logical.Node, ls, rs, sc *scope) (*fromItem, error) {
	names := j.Using
	if j.Natural {
		names = nil
		for _, c := range ls.vis {
			if len(exactCols(rs.vis, c.Name)) > 0 && checkUnique(append(names, c.Name)) == "" {
				names = append(names, c.Name)
			}
		}
		if len(names) == 0 {
			if kind == logical.InnerJoin {
				return &fromItem{node: &logical.Join{Left: ln, Right: rn, Kind: logical.CrossJoin}, sc: sc}, nil
			}
			cond := &logical.Literal{Value: true, T: types.BooleanType}
			return &fromItem{node: &logical.Join{Left: ln, Right: rn, Kind: kind, Cond: cond}, sc: sc}, nil
		}
	} else if dup := checkUnique(names); dup != "" {
		return nil, b.errf(j, "column name %q appears more than once in USING clause", dup)
	}
	used := map[logical.ColumnID]bool{}
	var cond logical.Expr
	var merged []logical.Column
	var coalesce []logical.Expr
	for _, name := range names {
		lc, err := b.usingCol(j, ls, name, "left")
		if err != nil {
			return nil, err
		}
		rc, err := b.usingCol(j, rs, name, "right")
		if err != nil {
			return nil, err
		}
		used[lc.ID], used[rc.ID] = true, true
		eq, err := b.operator(j, "=", colRef(lc), colRef(rc))
		if err != nil {
			return nil, err
		}
		if cond == nil {
			cond = eq
		} else if cond, err = b.call(j, "and", cond, eq); err != nil {
			return nil, err
		}
		switch kind {
		case logical.RightJoin:
			merged = append(merged, rc)
		case logical.FullJoin:
			co, err := b.call(j, "coalesce", colRef(lc), colRef(rc))
			if err != nil {
				return nil, err
			}
			coalesce = append(coalesce, co)
			col := logical.Column{ID: b.gen.Next(), Name: lc.Name, Type: co.Type(), Nullable: lc.Nullable && rc.Nullable}
			b.nullable[col.ID] = col.Nullable
			merged = append(merged, col)
		default:
			merged = append(merged, lc)
		}
	}
	var rest []logical.Column
	for _, c := range append(append([]logical.Column{}, ls.vis...), rs.vis...) {
		if !used[c.ID] {
			rest = append(rest, c)
		}
	}
	var node logical.Node = &logical.Join{Left: ln, Right: rn, Kind: kind, Cond: cond}
	out := &scope{vis: rest, rels: sc.rels}
	if kind == logical.FullJoin {
		node, out = b.passThrough(node, out, coalesce, merged)
	}
	out.vis = append(append([]logical.Column{}, merged...), out.vis...)
	return &fromItem{node: node, sc: out}, nil
}

// exactCols returns the columns named exactly name.
func exactCols(cols []logical.Column, name string) []logical.Column {
	var out []logical.Column
	for _, c := range cols {
		if c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

func (b *binder) usingCol(j *parse.Join, s *scope, name, side string) (logical.Column, error) {
	cs := findCols(s.vis, name)
	switch len(cs) {
	case 0:
		return logical.Column{}, b.errf(j, "column %q specified in USING clause does not exist in %s table", name, side)
	case 1:
		return cs[0], nil
	}
	return logical.Column{}, b.errf(j, "common column name %q appears more than once in %s table", name, side)
}

// passThrough puts a Project over node that forwards every column of s
// under a new id (s is remapped accordingly) and adds extra columns.
func (b *binder) passThrough(node logical.Node, s *scope, extra []logical.Expr, extraCols []logical.Column) (logical.Node, *scope) {
	all := s.allCols()
	m := make(map[logical.ColumnID]logical.Column, len(all))
	exprs := make([]logical.Expr, 0, len(all)+len(extra))
	cols := make([]logical.Column, 0, len(all)+len(extra))
	for _, c := range all {
		nc := c
		nc.ID = b.gen.Next()
		b.nullable[nc.ID] = c.Nullable
		m[c.ID] = nc
		exprs = append(exprs, colRef(c))
		cols = append(cols, nc)
	}
	exprs = append(exprs, extra...)
	cols = append(cols, extraCols...)
	return &logical.Project{Input: node, Exprs: exprs, Cols: cols}, s.remap(m)
}

// tableFunc binds a window table function in FROM: every row of the input
// plus its window's bounds. In batch queries only TUMBLE has a meaning
// (date_bin); streaming queries also take HOP and SESSION, whose bounds
// only GROUP BY window_start, window_end can use.
func (b *binder) tableFunc(t *parse.TableFunc, outer *scope, env *cteEnv) (*fromItem, error) {
	name := strings.ToLower(t.Name)
	nargs := map[string]int{"tumble": 3, "hop": 4, "session": 3}[name]
	switch {
	case nargs == 0:
		return nil, b.errf(t, "table function %q does not exist", name)
	case name != "tumble" && !b.opts.Streaming:
		return nil, b.errf(t, "window function %s requires a streaming query (streamsql run)", strings.ToUpper(name))
	}
	upper := strings.ToUpper(name)
	if len(t.Args) != nargs {
		what := map[string]string{"tumble": "table, time column, size", "hop": "table, time column, slide, size", "session": "table, time column, gap"}[name]
		return nil, b.errf(t, "%s takes %d arguments (%s), got %d", upper, nargs, what, len(t.Args))
	}
	var in *fromItem
	var err error
	switch a := t.Args[0].(type) {
	case *parse.Ident:
		in, err = b.tableName(a, a.Parts, "", outer, env)
	case *parse.ScalarSubquery:
		var r *rel
		if r, err = b.query(a.Query, outer, env); err == nil {
			in, err = b.derived(a, r, "", nil)
		}
	default:
		return nil, b.errf(t.Args[0], "first argument of %s must name a table", upper)
	}
	if err != nil {
		return nil, err
	}
	tsArg, ok := t.Args[1].(*parse.Ident)
	if !ok {
		return nil, b.errf(t.Args[1], "second argument of %s must name a TIMESTAMP column", upper)
	}
	inScope := *in.sc
	inScope.outer = outer
	ts, err := b.expr(&ectx{sc: &inScope, clause: upper, env: env}, tsArg)
	if err != nil {
		return nil, err
	}
	if ts.Type() != types.TimestampType {
		return nil, b.errf(tsArg, "%s time column must be TIMESTAMP, not %s", upper, ts.Type())
	}
	var lens []logical.Expr
	for _, a := range t.Args[2:] {
		l, err := b.expr(&ectx{sc: &scope{}, clause: upper, env: env}, a)
		if err != nil {
			return nil, err
		}
		if lit, ok := b.untypedLit(l); ok {
			if l, err = b.coerceLit(lit, types.IntervalType); err != nil {
				return nil, err
			}
		}
		if l.Type() != types.IntervalType {
			return nil, b.errf(a, "%s size must be an INTERVAL, not %s", upper, l.Type())
		}
		lens = append(lens, l)
	}
	if b.opts.Streaming {
		return b.streamTableFunc(t, name, in, ts, tsArg, lens)
	}
	size := lens[0]
	start, err := b.call(t, "date_bin", size, ts)
	if err != nil {
		return nil, err
	}
	end, err := b.call(t, "+", start, size)
	if err != nil {
		return nil, err
	}
	nullable := true
	if ref, ok := ts.(*logical.ColumnRef); ok {
		nullable = b.nullable[ref.ID]
	}
	wcols := []logical.Column{
		{ID: b.gen.Next(), Name: "window_start", Type: start.Type(), Nullable: nullable},
		{ID: b.gen.Next(), Name: "window_end", Type: end.Type(), Nullable: nullable},
	}
	qual := t.Alias
	if qual == "" && len(in.sc.rels) == 1 {
		qual = in.sc.rels[0].qual
	}
	for i := range wcols {
		wcols[i].Table = qual
		b.nullable[wcols[i].ID] = nullable
	}
	node, sc := b.passThrough(in.node, in.sc, []logical.Expr{start, end}, wcols)
	vis := append(append([]logical.Column{}, sc.vis...), wcols...)
	for i := range vis {
		vis[i].Table = qual
	}
	return &fromItem{node: node, sc: &scope{vis: vis, rels: []*relation{{qual: qual, cols: vis}}}}, nil
}
