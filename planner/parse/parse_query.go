package parse

import "strings"

// parseQuery reads `[WITH …] body [ORDER BY …] [LIMIT …] [OFFSET …]
// [FETCH …] [EMIT …]`.
func (p *parser) parseQuery() *Query {
	p.enter()
	defer p.leave()
	q := &Query{Pos: p.peek().pos}
	if p.isKw("with") {
		q.With = p.parseWith()
	}
	q.Body = p.parseSetExpr(1)
	if p.isKw("order") {
		p.next()
		p.expectKw("by")
		q.OrderBy = p.parseOrderList()
	}
	p.parseLimitOffset(q)
	if p.isKw("emit") {
		q.Emit = p.parseEmit()
	}
	// A query that is nothing but a parenthesised query is that query.
	// Besides dropping a useless node, this keeps Format faithful: without
	// it `((SELECT 1) LIMIT ALL)` would print as `((SELECT 1))`, which
	// reads back as a plain scalar subquery.
	if pq, ok := q.Body.(*ParenQuery); ok && len(q.With) == 0 && len(q.OrderBy) == 0 &&
		q.Limit == nil && q.Offset == nil && q.Emit == nil {
		inner := pq.Query
		inner.Pos = q.Pos
		return inner
	}
	return q
}

func (p *parser) parseWith() []*CTE {
	p.next()
	if p.isKw("recursive") && isName(p.peekN(1)) {
		panic(p.errf(p.peek().pos, "WITH RECURSIVE is not supported"))
	}
	var ctes []*CTE
	for {
		c := &CTE{Pos: p.peek().pos, Name: p.parseIdent("query name")}
		if p.isOp("(") {
			c.Columns = p.parseIdentList()
		}
		p.expectKw("as")
		p.expectOp("(")
		c.Query = p.parseQuery()
		p.expectOp(")")
		ctes = append(ctes, c)
		if !p.acceptOp(",") {
			return ctes
		}
	}
}

// setOpPrec gives INTERSECT precedence over UNION and EXCEPT, as the SQL
// standard does; 0 means the current token is not a set operator.
func (p *parser) setOpPrec() (SetOpKind, int) {
	switch {
	case p.isKw("union"):
		return Union, 1
	case p.isKw("except"):
		return Except, 1
	case p.isKw("intersect"):
		return Intersect, 2
	}
	return 0, 0
}

func (p *parser) parseSetExpr(minPrec int) SetExpr {
	left := p.parseSetOperand()
	for {
		kind, prec := p.setOpPrec()
		if prec == 0 || prec < minPrec {
			return left
		}
		op := &SetOp{Pos: p.next().pos, Op: kind, Left: left}
		if p.acceptKw("all") {
			op.All = true
		} else {
			p.acceptKw("distinct")
		}
		op.Right = p.parseSetExpr(prec + 1)
		left = op
	}
}

func (p *parser) parseSetOperand() SetExpr {
	switch {
	case p.isKw("select"):
		return p.parseSelect()
	case p.isKw("values"):
		return p.parseValues()
	case p.isOp("("):
		pq := &ParenQuery{Pos: p.next().pos, Query: p.parseQuery()}
		p.expectOp(")")
		return pq
	}
	panic(p.unexpected("SELECT, VALUES or '('"))
}

// parenStartsQuery reports whether the token at i (just inside a '(')
// begins a query. A plain SELECT/VALUES/WITH obviously does; a nested
// `((SELECT …) …` only does when the inner group is followed by something
// that can only continue a query (UNION, ORDER BY, …) — otherwise it is
// read as an expression or join that merely starts with a subquery.
func (p *parser) parenStartsQuery(i int) bool {
	isQueryKw := func(t token) bool {
		return isKwTok(t, "select") || isKwTok(t, "values") || isKwTok(t, "with")
	}
	if isQueryKw(p.tokAt(i)) {
		return true
	}
	if i >= len(p.toks) || !isOpTok(p.toks[i], "(") || !isQueryKw(p.tokAt(p.past[i])) {
		return false
	}
	end := p.match[i]
	if end < 0 {
		return true // unbalanced; the query parser reports the missing ')'
	}
	after := p.tokAt(end + 1)
	return after.kind == tWord && queryContinuation[after.val]
}

func (p *parser) parseSelect() *Select {
	s := &Select{Pos: p.next().pos}
	if p.acceptKw("distinct") {
		if p.isKw("on") {
			panic(p.errf(p.peek().pos, "DISTINCT ON is not supported"))
		}
		s.Distinct = true
	} else {
		p.acceptKw("all")
	}
	for {
		s.Items = append(s.Items, p.parseSelectItem())
		if !p.acceptOp(",") {
			break
		}
	}
	if p.acceptKw("from") {
		for {
			s.From = append(s.From, p.parseTableExpr())
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if p.acceptKw("where") {
		s.Where = p.parseExpr()
	}
	if p.isKw("group") {
		p.next()
		p.expectKw("by")
		s.GroupBy = p.parseExprList()
	}
	if p.acceptKw("having") {
		s.Having = p.parseExpr()
	}
	return s
}

func (p *parser) parseSelectItem() *SelectItem {
	t := p.peek()
	item := &SelectItem{Pos: t.pos}
	if p.acceptOp("*") {
		item.Star = true
		return item
	}
	if parts := p.scanQualifiedStar(); parts != nil {
		item.Star = true
		item.StarTable = parts
		return item
	}
	item.Expr = p.parseExpr()
	item.Alias = p.parseAlias()
	return item
}

// scanQualifiedStar consumes `t.*` / `s.t.*` and returns the qualifier, or
// returns nil without consuming anything when the item is not of that form.
func (p *parser) scanQualifiedStar() []string {
	if !isName(p.peek()) {
		return nil
	}
	var parts []string
	i := p.i
	for {
		t := p.tokAt(i)
		if t.kind != tWord && t.kind != tQuoted {
			return nil
		}
		parts = append(parts, t.val)
		if !isOpTok(p.tokAt(i+1), ".") {
			return nil
		}
		if isOpTok(p.tokAt(i+2), "*") {
			p.i = i + 3
			return parts
		}
		i += 2
	}
}

func (p *parser) parseOrderList() []*OrderItem {
	var items []*OrderItem
	for {
		items = append(items, p.parseOrderItem())
		if !p.acceptOp(",") {
			return items
		}
	}
}

func (p *parser) parseOrderItem() *OrderItem {
	it := &OrderItem{Pos: p.peek().pos, Expr: p.parseExpr()}
	if !p.acceptKw("asc") && p.acceptKw("desc") {
		it.Desc = true
	}
	if p.acceptKw("nulls") {
		var first bool
		switch {
		case p.acceptKw("first"):
			first = true
		case p.acceptKw("last"):
		default:
			panic(p.unexpected("FIRST or LAST"))
		}
		it.NullsFirst = &first
	}
	return it
}

// parseLimitOffset accepts LIMIT and OFFSET in either order (as Postgres
// does) and the standard FETCH FIRST n ROWS ONLY, folded into Limit.
func (p *parser) parseLimitOffset(q *Query) {
	haveLimit, haveOffset := false, false
	for {
		t := p.peek()
		switch {
		case isKwTok(t, "limit"):
			if haveLimit {
				panic(p.errf(t.pos, "multiple LIMIT clauses not allowed"))
			}
			haveLimit = true
			p.next()
			if !p.acceptKw("all") {
				q.Limit = p.parseExpr()
			}
		case isKwTok(t, "offset"):
			if haveOffset {
				panic(p.errf(t.pos, "multiple OFFSET clauses not allowed"))
			}
			haveOffset = true
			p.next()
			q.Offset = p.parseExpr()
			if !p.acceptKw("row") {
				p.acceptKw("rows")
			}
		case isKwTok(t, "fetch"):
			if haveLimit {
				panic(p.errf(t.pos, "multiple LIMIT clauses not allowed"))
			}
			haveLimit = true
			p.next()
			if !p.acceptKw("first") && !p.acceptKw("next") {
				panic(p.unexpected("FIRST or NEXT"))
			}
			if p.isKw("row") || p.isKw("rows") {
				q.Limit = &Literal{Pos: p.peek().pos, Kind: NumberLit, Raw: "1"}
			} else {
				q.Limit = p.parseExpr()
			}
			if !p.acceptKw("row") && !p.acceptKw("rows") {
				panic(p.unexpected("ROW or ROWS"))
			}
			p.expectKw("only")
		default:
			return
		}
	}
}

func (p *parser) parseEmit() *Emit {
	e := &Emit{Pos: p.next().pos}
	switch {
	case p.acceptKw("on"):
		p.expectKw("window")
		p.expectKw("close")
		e.Mode = EmitOnWindowClose
	case p.acceptKw("changes"):
		e.Mode = EmitChanges
		if p.acceptKw("every") {
			e.Every = p.parseExpr()
		}
	default:
		panic(p.unexpected("ON WINDOW CLOSE or CHANGES"))
	}
	return e
}

func (p *parser) parseValues() *Values {
	v := &Values{Pos: p.next().pos}
	for {
		open := p.expectOp("(")
		row := p.parseExprList()
		p.closeList()
		if len(v.Rows) > 0 && len(row) != len(v.Rows[0]) {
			panic(p.errf(open.pos, "VALUES lists must all be the same length"))
		}
		v.Rows = append(v.Rows, row)
		if !p.acceptOp(",") {
			return v
		}
	}
}

// ---- FROM ----

// parseTableExpr reads one FROM item with its left-associative chain of
// joins. A Join's position is that of its first join keyword, the place
// binder errors about the join condition point at.
func (p *parser) parseTableExpr() TableExpr {
	p.enter()
	defer p.leave()
	left := p.parseTablePrimary()
	for {
		pos := p.peek().pos
		natural := p.acceptKw("natural")
		var kind JoinKind
		switch {
		case p.acceptKw("join"):
			kind = InnerJoin
		case p.acceptKw("inner"):
			kind = InnerJoin
			p.expectKw("join")
		case p.acceptKw("left"):
			kind = LeftJoin
		case p.acceptKw("right"):
			kind = RightJoin
		case p.acceptKw("full"):
			kind = FullJoin
		case p.isKw("cross"):
			if natural {
				panic(p.errf(p.peek().pos, "NATURAL cannot be combined with CROSS JOIN"))
			}
			p.next()
			kind = CrossJoin
			p.expectKw("join")
		default:
			if natural {
				panic(p.unexpected("JOIN"))
			}
			return left
		}
		if kind == LeftJoin || kind == RightJoin || kind == FullJoin {
			p.acceptKw("outer")
			p.expectKw("join")
		}
		j := &Join{Pos: pos, Kind: kind, Left: left, Natural: natural}
		j.Right = p.parseTablePrimary()
		if kind != CrossJoin && !natural {
			switch {
			case p.acceptKw("on"):
				j.On = p.parseExpr()
			case p.acceptKw("using"):
				j.Using = p.parseIdentList()
			default:
				panic(p.unexpected("ON or USING"))
			}
		}
		left = j
	}
}

func (p *parser) parseTablePrimary() TableExpr {
	t := p.peek()
	switch {
	case isOpTok(t, "("):
		if p.parenStartsQuery(p.i + 1) {
			p.next()
			sq := &Subquery{Pos: t.pos, Query: p.parseQuery()}
			p.expectOp(")")
			sq.Alias = p.parseAlias()
			if sq.Alias != "" && p.isOp("(") {
				sq.Columns = p.parseIdentList()
			}
			return sq
		}
		p.next()
		te := p.parseTableExpr()
		p.expectOp(")")
		if sq, ok := te.(*Subquery); ok && sq.Alias == "" {
			// `((SELECT …)) AS t`: extra parentheses around a subquery.
			sq.Alias = p.parseAlias()
			if sq.Alias != "" && p.isOp("(") {
				sq.Columns = p.parseIdentList()
			}
			return sq
		}
		if p.isKw("as") || isName(p.peek()) {
			panic(p.errf(p.peek().pos, "an alias on a parenthesised join is not supported"))
		}
		return te
	case isKwTok(t, "table") && p.isOpN(1, "("):
		// Flink's TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), size)).
		p.next()
		p.next()
		if !isName(p.peek()) || !p.isOpN(1, "(") {
			panic(p.unexpected("table function"))
		}
		tf := &TableFunc{Pos: t.pos, Name: p.next().val}
		tf.Args = p.parseTableFuncArgs()
		p.expectOp(")")
		tf.Alias = p.parseAlias()
		return tf
	case isName(t):
		name := p.parseName("table name")
		if p.isOp("(") {
			if len(name) > 1 {
				panic(p.errf(t.pos, "qualified table function names are not supported"))
			}
			tf := &TableFunc{Pos: t.pos, Name: name[0], Args: p.parseTableFuncArgs()}
			tf.Alias = p.parseAlias()
			return tf
		}
		tn := &TableName{Pos: t.pos, Name: name}
		p.parseAsOf(tn)
		tn.Alias = p.parseAlias()
		return tn
	}
	panic(p.unexpected("table name or subquery"))
}

// parseAsOf reads `FOR SYSTEM_TIME AS OF expr` or `FOR SYSTEM_VERSION |
// VERSION AS OF expr` after a table name.
func (p *parser) parseAsOf(tn *TableName) {
	if !p.isKw("for") {
		return
	}
	p.next()
	kind := p.peek()
	switch {
	case isName(kind) && strings.EqualFold(kind.val, "system_time"):
	case isName(kind) && (strings.EqualFold(kind.val, "system_version") || strings.EqualFold(kind.val, "version")):
		tn.AsOfVersion = true
	default:
		panic(p.errf(kind.pos, "expected SYSTEM_TIME or SYSTEM_VERSION after FOR"))
	}
	p.next()
	p.expectKw("as")
	if of := p.peek(); !isName(of) || !strings.EqualFold(of.val, "of") {
		panic(p.errf(of.pos, "expected OF after AS"))
	}
	p.next()
	tn.AsOf = p.parseExpr()
}

// parseTableFuncArgs reads the argument list of a table function. `TABLE t`
// and `DESCRIPTOR(col)` (Flink spellings) become plain identifiers so every
// window function has the same shape: table, time column, sizes.
func (p *parser) parseTableFuncArgs() []Expr {
	p.expectOp("(")
	var args []Expr
	if p.acceptOp(")") {
		return args
	}
	for {
		t := p.peek()
		switch {
		case isKwTok(t, "table"):
			p.next()
			args = append(args, &Ident{Pos: p.peek().pos, Parts: p.parseName("table name")})
		case isKwTok(t, "descriptor") && p.isOpN(1, "("):
			p.next()
			p.next()
			args = append(args, &Ident{Pos: p.peek().pos, Parts: p.parseName("column name")})
			if p.isOp(",") {
				panic(p.errf(p.peek().pos, "DESCRIPTOR with more than one column is not supported"))
			}
			p.expectOp(")")
		default:
			args = append(args, p.parseExpr())
		}
		if !p.acceptOp(",") {
			break
		}
	}
	p.closeList()
	return args
}
