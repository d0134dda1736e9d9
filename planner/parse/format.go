package parse

import (
	"fmt"
	"reflect"
	"strings"
)

// Format prints n back as canonical SQL: keywords upper case, identifiers
// quoted only when needed, every operator expression parenthesised (except
// at the top of a clause) so the tree shape is visible and reparsing yields
// the same tree. Syntactic sugar is printed in its normalised form
// (x::T as CAST, FETCH FIRST as LIMIT, SUBSTRING … FROM as substr(…)).
// Format(Parse(s)) reparses to an identical tree; a hand-built tree that
// the parser could never produce may not round-trip.
func Format(n Node) (out string) {
	if n == nil {
		return ""
	}
	if v := reflect.ValueOf(n); v.Kind() == reflect.Pointer && v.IsNil() {
		return ""
	}
	var f formatter
	// Only hand-built trees with nil children can trip the printer; mark
	// the spot rather than crash a caller that is merely logging a query.
	defer func() {
		if r := recover(); r != nil {
			out = f.String() + fmt.Sprintf("<malformed AST: %v>", r)
		}
	}()
	f.node(n)
	return f.String()
}

type formatter struct{ strings.Builder }

func (f *formatter) node(n Node) {
	switch x := n.(type) {
	case Statement:
		f.stmt(x)
	case SetExpr:
		f.setExpr(x)
	case TableExpr:
		f.tableExpr(x)
	case Expr:
		f.expr(x)
	case *SelectItem:
		f.selectItem(x)
	case *OrderItem:
		f.orderItem(x)
	case *CTE:
		f.cte(x)
	case *WindowSpec:
		f.windowSpec(x)
	case *When:
		f.WriteString("WHEN ")
		f.bare(x.Cond)
		f.WriteString(" THEN ")
		f.bare(x.Result)
	case *ColumnDef:
		f.columnDef(x)
	case *Watermark:
		f.watermark(x)
	case *Option:
		f.option(x)
	case *Emit:
		f.emit(x)
	default:
		fmt.Fprintf(f, "<%T>", n)
	}
}

// ---- names and literals ----

// needsQuote reports whether a name must be double-quoted to read back
// as itself: anything but lower-case ASCII words, and reserved words.
func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for i, r := range s {
		if !(r == '_' || (r >= 'a' && r <= 'z') || (i > 0 && r >= '0' && r <= '9')) {
			return true
		}
	}
	return reserved[s]
}

func (f *formatter) ident(s string) {
	if !needsQuote(s) {
		f.WriteString(s)
		return
	}
	f.WriteByte('"')
	f.WriteString(strings.ReplaceAll(s, `"`, `""`))
	f.WriteByte('"')
}

func (f *formatter) name(parts []string) {
	for i, s := range parts {
		if i > 0 {
			f.WriteByte('.')
		}
		f.ident(s)
	}
}

func (f *formatter) identList(names []string) {
	f.WriteByte('(')
	for i, s := range names {
		if i > 0 {
			f.WriteString(", ")
		}
		f.ident(s)
	}
	f.WriteByte(')')
}

func (f *formatter) str(s string) {
	f.WriteByte('\'')
	f.WriteString(strings.ReplaceAll(s, "'", "''"))
	f.WriteByte('\'')
}

func (f *formatter) alias(a string) {
	if a != "" {
		f.WriteString(" AS ")
		f.ident(a)
	}
}

// ---- statements ----

func (f *formatter) stmt(s Statement) {
	switch x := s.(type) {
	case *Query:
		f.query(x)
	case *CreateTable:
		f.WriteString("CREATE TABLE ")
		if x.IfNotExists {
			f.WriteString("IF NOT EXISTS ")
		}
		f.name(x.Name)
		if len(x.Columns) > 0 || x.Watermark != nil {
			f.WriteString(" (")
			for i, c := range x.Columns {
				if i > 0 {
					f.WriteString(", ")
				}
				f.columnDef(c)
			}
			if x.Watermark != nil {
				if len(x.Columns) > 0 {
					f.WriteString(", ")
				}
				f.watermark(x.Watermark)
			}
			f.WriteByte(')')
		}
		if len(x.With) > 0 {
			f.WriteString(" WITH (")
			for i, o := range x.With {
				if i > 0 {
					f.WriteString(", ")
				}
				f.option(o)
			}
			f.WriteByte(')')
		}
		if x.As != nil {
			f.WriteString(" AS ")
			f.query(x.As)
		}
	case *CreateView:
		f.WriteString("CREATE ")
		if x.OrReplace {
			f.WriteString("OR REPLACE ")
		}
		f.WriteString("VIEW ")
		f.name(x.Name)
		if len(x.Columns) > 0 {
			f.WriteByte(' ')
			f.identList(x.Columns)
		}
		f.WriteString(" AS ")
		f.query(x.Query)
	case *Insert:
		f.WriteString("INSERT INTO ")
		f.name(x.Table)
		if len(x.Columns) > 0 {
			f.WriteByte(' ')
			f.identList(x.Columns)
		}
		f.WriteByte(' ')
		f.query(x.Query)
	case *Drop:
		f.WriteString("DROP " + x.What + " ")
		if x.IfExists {
			f.WriteString("IF EXISTS ")
		}
		f.name(x.Name)
	case *Explain:
		f.WriteString("EXPLAIN ")
		if x.Analyze {
			f.WriteString("ANALYZE ")
		}
		f.stmt(x.Stmt)
	default:
		fmt.Fprintf(f, "<%T>", s)
	}
}

func (f *formatter) columnDef(c *ColumnDef) {
	f.ident(c.Name)
	f.WriteByte(' ')
	f.WriteString(c.TypeName)
	if c.NotNull {
		f.WriteString(" NOT NULL")
	}
}

func (f *formatter) watermark(w *Watermark) {
	f.WriteString("WATERMARK FOR ")
	f.ident(w.Column)
	f.WriteString(" AS ")
	f.bare(w.Expr)
}

// option prints keys bare when they read back unchanged (lower-case dotted
// words) and as strings otherwise; values are always strings since only
// their text is kept.
func (f *formatter) option(o *Option) {
	simple := o.Key != ""
	for _, part := range strings.Split(o.Key, ".") {
		if part == "" || (needsQuote(part) && !reserved[part]) {
			simple = false
		}
	}
	if simple {
		f.WriteString(o.Key)
	} else {
		f.str(o.Key)
	}
	f.WriteString(" = ")
	f.str(o.Value)
}

// ---- queries ----

func (f *formatter) query(q *Query) {
	if len(q.With) > 0 {
		f.WriteString("WITH ")
		for i, c := range q.With {
			if i > 0 {
				f.WriteString(", ")
			}
			f.cte(c)
		}
		f.WriteByte(' ')
	}
	f.setExpr(q.Body)
	if len(q.OrderBy) > 0 {
		f.WriteString(" ORDER BY ")
		f.orderList(q.OrderBy)
	}
	if q.Limit != nil {
		f.WriteString(" LIMIT ")
		f.bare(q.Limit)
	}
	if q.Offset != nil {
		f.WriteString(" OFFSET ")
		f.bare(q.Offset)
	}
	if q.Emit != nil {
		f.WriteByte(' ')
		f.emit(q.Emit)
	}
}

func (f *formatter) cte(c *CTE) {
	f.ident(c.Name)
	if len(c.Columns) > 0 {
		f.WriteByte(' ')
		f.identList(c.Columns)
	}
	f.WriteString(" AS (")
	f.query(c.Query)
	f.WriteByte(')')
}

func (f *formatter) emit(e *Emit) {
	if e.Mode == EmitOnWindowClose {
		f.WriteString("EMIT ON WINDOW CLOSE")
		return
	}
	f.WriteString("EMIT CHANGES")
	if e.Every != nil {
		f.WriteString(" EVERY ")
		f.bare(e.Every)
	}
}

var setOpNames = map[SetOpKind]string{Union: "UNION", Intersect: "INTERSECT", Except: "EXCEPT"}

// setExpr adds no parentheses: the parser records explicit ones as
// ParenQuery, and the tree it builds already follows set-operator
// precedence, so printing operands in order reproduces it.
func (f *formatter) setExpr(s SetExpr) {
	switch x := s.(type) {
	case *Select:
		f.selectBlock(x)
	case *Values:
		f.WriteString("VALUES ")
		for i, row := range x.Rows {
			if i > 0 {
				f.WriteString(", ")
			}
			f.WriteByte('(')
			f.exprList(row)
			f.WriteByte(')')
		}
	case *SetOp:
		f.setExpr(x.Left)
		f.WriteString(" " + setOpNames[x.Op] + " ")
		if x.All {
			f.WriteString("ALL ")
		}
		f.setExpr(x.Right)
	case *ParenQuery:
		f.WriteByte('(')
		f.query(x.Query)
		f.WriteByte(')')
	default:
		fmt.Fprintf(f, "<%T>", s)
	}
}

func (f *formatter) selectBlock(s *Select) {
	f.WriteString("SELECT ")
	if s.Distinct {
		f.WriteString("DISTINCT ")
	}
	for i, it := range s.Items {
		if i > 0 {
			f.WriteString(", ")
		}
		f.selectItem(it)
	}
	if len(s.From) > 0 {
		f.WriteString(" FROM ")
		for i, t := range s.From {
			if i > 0 {
				f.WriteString(", ")
			}
			f.tableExpr(t)
		}
	}
	if s.Where != nil {
		f.WriteString(" WHERE ")
		f.bare(s.Where)
	}
	if len(s.GroupBy) > 0 {
		f.WriteString(" GROUP BY ")
		f.exprList(s.GroupBy)
	}
	if s.Having != nil {
		f.WriteString(" HAVING ")
		f.bare(s.Having)
	}
}

func (f *formatter) selectItem(it *SelectItem) {
	if it.Star {
		if len(it.StarTable) > 0 {
			f.name(it.StarTable)
			f.WriteByte('.')
		}
		f.WriteByte('*')
		return
	}
	f.bare(it.Expr)
	f.alias(it.Alias)
}

func (f *formatter) orderList(items []*OrderItem) {
	for i, it := range items {
		if i > 0 {
			f.WriteString(", ")
		}
		f.orderItem(it)
	}
}

func (f *formatter) orderItem(it *OrderItem) {
	f.bare(it.Expr)
	if it.Desc {
		f.WriteString(" DESC")
	}
	if it.NullsFirst != nil {
		if *it.NullsFirst {
			f.WriteString(" NULLS FIRST")
		} else {
			f.WriteString(" NULLS LAST")
		}
	}
}

// ---- FROM ----

var joinNames = map[JoinKind]string{
	InnerJoin: "JOIN", LeftJoin: "LEFT JOIN", RightJoin: "RIGHT JOIN",
	FullJoin: "FULL JOIN", CrossJoin: "CROSS JOIN",
}

func (f *formatter) tableExpr(t TableExpr) {
	switch x := t.(type) {
	case *TableName:
		f.name(x.Name)
		if x.AsOf != nil {
			if x.AsOfVersion {
				f.WriteString(" FOR SYSTEM_VERSION AS OF ")
			} else {
				f.WriteString(" FOR SYSTEM_TIME AS OF ")
			}
			f.expr(x.AsOf)
		}
		f.alias(x.Alias)
	case *Subquery:
		f.WriteByte('(')
		f.query(x.Query)
		f.WriteByte(')')
		f.alias(x.Alias)
		if x.Alias != "" && len(x.Columns) > 0 {
			f.WriteByte(' ')
			f.identList(x.Columns)
		}
	case *TableFunc:
		f.ident(x.Name)
		f.WriteByte('(')
		f.exprList(x.Args)
		f.WriteByte(')')
		f.alias(x.Alias)
	case *Join:
		// Joins are left-associative, so only a join on the right needs
		// parentheses.
		f.tableExpr(x.Left)
		f.WriteByte(' ')
		if x.Natural {
			f.WriteString("NATURAL ")
		}
		f.WriteString(joinNames[x.Kind] + " ")
		if _, ok := x.Right.(*Join); ok {
			f.WriteByte('(')
			f.tableExpr(x.Right)
			f.WriteByte(')')
		} else {
			f.tableExpr(x.Right)
		}
		if x.On != nil {
			f.WriteString(" ON ")
			f.bare(x.On)
		}
		if x.Using != nil {
			f.WriteString(" USING ")
			f.identList(x.Using)
		}
	default:
		fmt.Fprintf(f, "<%T>", t)
	}
}
