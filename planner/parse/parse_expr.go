package parse

import (
	"strconv"
	"strings"
)

// Binding strength of the infix and prefix operators, weakest first.
const (
	precNone    = iota
	precOr      // OR
	precAnd     // AND
	precNot     // prefix NOT
	precIs      // IS [NOT] NULL|TRUE|FALSE|UNKNOWN|DISTINCT FROM
	precCmp     // = <> < <= > >=, BETWEEN, IN, LIKE, ILIKE
	precConcat  // ||
	precAdd     // + -
	precMul     // * / %
	precUnary   // prefix - +
	precPostfix // :: -> ->>
)

func (p *parser) parseExpr() Expr { return p.parseBinary(precOr) }

// parseBinary is a precedence climber: it reads an operand, then folds in
// every infix operator that binds at least as tightly as min.
func (p *parser) parseBinary(min int) Expr {
	p.enter()
	defer p.leave()
	return p.continueBinary(p.parseOperand(), min)
}

func (p *parser) continueBinary(left Expr, min int) Expr {
	for {
		prec := p.infixPrec()
		if prec == precNone || prec < min {
			return left
		}
		left = p.parseInfix(left, prec)
	}
}

func (p *parser) parseExprList() []Expr {
	var list []Expr
	for {
		list = append(list, p.parseExpr())
		if !p.acceptOp(",") {
			return list
		}
	}
}

// infixPrec returns the precedence of the operator at the current token,
// or precNone when the token does not continue an expression.
func (p *parser) infixPrec() int {
	t := p.peek()
	switch t.kind {
	case tOp:
		switch t.val {
		case "=", "<>", "!=", "<", "<=", ">", ">=":
			return precCmp
		case "||":
			return precConcat
		case "+", "-":
			return precAdd
		case "*", "/", "%":
			return precMul
		case "::", "->", "->>":
			return precPostfix
		}
	case tWord:
		switch t.val {
		case "or":
			return precOr
		case "and":
			return precAnd
		case "is":
			return precIs
		case "between", "in", "like", "ilike":
			return precCmp
		case "not":
			n := p.peekN(1)
			if isKwTok(n, "between") || isKwTok(n, "in") || isKwTok(n, "like") || isKwTok(n, "ilike") {
				return precCmp
			}
		}
	}
	return precNone
}

// parseOperand reads prefix operators and a primary. NOT is accepted here
// too, so `a = NOT b` parses as in Postgres; its operand stops at AND/OR.
func (p *parser) parseOperand() Expr {
	t := p.peek()
	switch {
	case isKwTok(t, "not"):
		p.next()
		x := p.parseBinary(precIs)
		// NOT EXISTS has its own node so the planner can build an anti-join
		// without pattern matching.
		if ex, ok := x.(*Exists); ok && !ex.Not {
			ex.Not = true
			ex.Pos = t.pos
			return ex
		}
		return &Unary{Pos: t.pos, Op: "NOT", X: x}
	case isOpTok(t, "-"), isOpTok(t, "+"):
		p.next()
		return &Unary{Pos: t.pos, Op: t.val, X: p.parseBinary(precPostfix)}
	}
	return p.parsePrimary()
}

// parseInfix applies the operator at the current token to left. Nodes
// built here take the position of the operator token (NOT for NOT IN and
// friends), which is where binder type errors are most useful.
func (p *parser) parseInfix(left Expr, prec int) Expr {
	t := p.next()
	if t.kind == tOp {
		switch t.val {
		case "::":
			return &Cast{Pos: t.pos, X: left, TypeName: p.parseTypeName()}
		case "->", "->>":
			// The key is a primary: `j -> 'a' -> 'b'` chains left to right.
			p.enter()
			defer p.leave()
			return &Binary{Pos: t.pos, Op: t.val, L: left, R: p.parsePrimary()}
		case "!=":
			return &Binary{Pos: t.pos, Op: "<>", L: left, R: p.parseBinary(prec + 1)}
		}
		return &Binary{Pos: t.pos, Op: t.val, L: left, R: p.parseBinary(prec + 1)}
	}
	switch t.val {
	case "or", "and":
		return &Binary{Pos: t.pos, Op: strings.ToUpper(t.val), L: left, R: p.parseBinary(prec + 1)}
	case "is":
		return p.parseIs(left, t.pos)
	}
	pos, not := t.pos, false
	if t.val == "not" {
		not = true
		t = p.next()
	}
	switch t.val {
	case "between":
		b := &Between{Pos: pos, X: left, Not: not, Lo: p.parseBinary(precCmp + 1)}
		p.expectKw("and")
		b.Hi = p.parseBinary(precCmp + 1)
		return b
	case "in":
		return p.parseIn(left, pos, not)
	}
	l := &Like{Pos: pos, X: left, Not: not, CaseInsensitive: t.val == "ilike"}
	l.Pattern = p.parseBinary(precCmp + 1)
	if p.acceptKw("escape") {
		l.Escape = p.parseBinary(precCmp + 1)
	}
	return l
}

func (p *parser) parseIs(left Expr, pos Pos) Expr {
	is := &Is{Pos: pos, X: left, Not: p.acceptKw("not")}
	t := p.peek()
	switch {
	case isKwTok(t, "null"), isKwTok(t, "true"), isKwTok(t, "false"), isKwTok(t, "unknown"):
		p.next()
		is.What = strings.ToUpper(t.val)
	case isKwTok(t, "distinct"):
		p.next()
		p.expectKw("from")
		is.What = "DISTINCT"
		is.Y = p.parseBinary(precIs + 1)
	default:
		panic(p.unexpected("NULL, TRUE, FALSE, UNKNOWN or DISTINCT FROM"))
	}
	return is
}

func (p *parser) parseIn(left Expr, pos Pos, not bool) Expr {
	p.expectOp("(")
	if p.parenStartsQuery(p.i) {
		in := &InSubquery{Pos: pos, X: left, Not: not, Query: p.parseQuery()}
		p.expectOp(")")
		return in
	}
	in := &InList{Pos: pos, X: left, Not: not, List: p.parseExprList()}
	p.closeList()
	return in
}

func (p *parser) parsePrimary() Expr {
	t := p.peek()
	switch t.kind {
	case tNumber:
		p.next()
		return &Literal{Pos: t.pos, Kind: NumberLit, Raw: t.val}
	case tString:
		p.next()
		return &Literal{Pos: t.pos, Kind: StringLit, Raw: t.val}
	case tParam:
		p.next()
		n, _ := strconv.Atoi(t.val) // validated by the lexer
		return &Param{Pos: t.pos, Index: n}
	case tQuoted:
		return p.parseNameOrCall()
	case tWord:
		return p.parseWordPrimary(t)
	case tOp:
		if t.val == "(" {
			return p.parseParen()
		}
	}
	panic(p.unexpected("expression"))
}

// parseWordPrimary handles keywords that start an expression. Most of them
// (INTERVAL, DATE, EXTRACT, …) are special only when the next token fits
// their syntax, so columns and functions of those names keep working.
func (p *parser) parseWordPrimary(t token) Expr {
	next := p.peekN(1)
	call := isOpTok(next, "(")
	switch t.val {
	case "true", "false":
		p.next()
		return &Literal{Pos: t.pos, Kind: BoolLit, Raw: t.val}
	case "null":
		p.next()
		return &Literal{Pos: t.pos, Kind: NullLit, Raw: "null"}
	case "case":
		return p.parseCase()
	case "cast":
		return p.parseCast(false)
	case "exists":
		p.next()
		p.expectOp("(")
		ex := &Exists{Pos: t.pos, Query: p.parseQuery()}
		p.expectOp(")")
		return ex
	case "current_timestamp", "current_date":
		p.next()
		if call && p.isOpN(1, ")") {
			p.next()
			p.next()
		}
		name := "now"
		if t.val == "current_date" {
			name = "current_date"
		}
		return &FuncCall{Pos: t.pos, Name: name}
	case "interval":
		if next.kind == tString || next.kind == tNumber {
			return p.parseInterval()
		}
	case "try_cast":
		if call {
			return p.parseCast(true)
		}
	case "extract":
		if call {
			return p.parseExtract()
		}
	case "position":
		if call {
			return p.parsePosition()
		}
	case "substring":
		if call {
			return p.parseSubstring()
		}
	case "trim":
		if call {
			return p.parseTrim()
		}
	}
	if tn, ok := typedLiteralTypes[t.val]; ok && next.kind == tString {
		p.next()
		return &TypedLit{Pos: t.pos, TypeName: tn, Value: p.next().val}
	}
	if reserved[t.val] && !(callableReserved[t.val] && call) {
		panic(p.unexpected("expression"))
	}
	return p.parseNameOrCall()
}

// parseNameOrCall reads a column reference `a.b.c` or a call `f(…)`.
// Unquoted names are already lower case; quoted ones stay verbatim, which
// also applies to quoted function names.
func (p *parser) parseNameOrCall() Expr {
	first := p.next()
	parts := []string{first.val}
	for p.acceptOp(".") {
		parts = append(parts, p.parseNamePart())
	}
	if p.isOp("(") {
		if len(parts) > 1 {
			panic(p.errf(first.pos, "qualified function names are not supported"))
		}
		return p.parseCall(first.pos, first.val)
	}
	return &Ident{Pos: first.pos, Parts: parts}
}

func (p *parser) parseCall(pos Pos, name string) *FuncCall {
	p.expectOp("(")
	fc := &FuncCall{Pos: pos, Name: name}
	switch {
	case p.acceptOp(")"):
	case p.isOp("*") && p.isOpN(1, ")"):
		p.next()
		p.next()
		fc.Star = true
	default:
		if p.acceptKw("distinct") {
			fc.Distinct = true
		} else {
			p.acceptKw("all")
		}
		fc.Args = p.parseExprList()
		p.closeList()
	}
	return p.parseCallSuffix(fc)
}

// parseCallSuffix reads FILTER (WHERE …) and OVER (…). Both words stay
// usable as aliases: they are clauses only when '(' follows.
func (p *parser) parseCallSuffix(fc *FuncCall) *FuncCall {
	if p.isKw("filter") && p.isOpN(1, "(") {
		p.next()
		p.next()
		p.expectKw("where")
		fc.Filter = p.parseExpr()
		p.expectOp(")")
	}
	if p.isKw("over") && p.isOpN(1, "(") {
		ws := &WindowSpec{Pos: p.next().pos}
		p.next()
		if p.isKw("partition") && p.isKwN(1, "by") {
			p.next()
			p.next()
			ws.PartitionBy = p.parseExprList()
		}
		if p.isKw("order") {
			p.next()
			p.expectKw("by")
			ws.OrderBy = p.parseOrderList()
		}
		if p.isKw("rows") || p.isKw("range") || p.isKw("groups") {
			panic(p.errf(p.peek().pos, "window frame clauses are not supported"))
		}
		p.expectOp(")")
		fc.Over = ws
	}
	return fc
}

// parseParen reads `(expr)` or a scalar subquery `(SELECT …)`.
// Parentheses leave no node behind: the tree shape already records them.
func (p *parser) parseParen() Expr {
	t := p.next()
	if p.parenStartsQuery(p.i) {
		sq := &ScalarSubquery{Pos: t.pos, Query: p.parseQuery()}
		p.expectOp(")")
		return sq
	}
	e := p.parseExpr()
	p.expectOp(")")
	return e
}

func (p *parser) parseCase() Expr {
	c := &Case{Pos: p.next().pos}
	if !p.isKw("when") && !p.isKw("end") {
		c.Operand = p.parseExpr()
	}
	if !p.isKw("when") {
		panic(p.unexpected("WHEN"))
	}
	for p.isKw("when") {
		w := &When{Pos: p.next().pos, Cond: p.parseExpr()}
		p.expectKw("then")
		w.Result = p.parseExpr()
		c.Whens = append(c.Whens, w)
	}
	if p.acceptKw("else") {
		c.Else = p.parseExpr()
	}
	p.expectKw("end")
	return c
}

func (p *parser) parseCast(try bool) Expr {
	c := &Cast{Pos: p.next().pos, Try: try}
	p.expectOp("(")
	c.X = p.parseExpr()
	p.expectKw("as")
	c.TypeName = p.parseTypeName()
	p.expectOp(")")
	return c
}

func (p *parser) parseExtract() Expr {
	e := &Extract{Pos: p.next().pos}
	p.expectOp("(")
	switch t := p.peek(); t.kind {
	case tWord, tString, tQuoted:
		e.Field = strings.ToUpper(p.next().val)
	default:
		panic(p.unexpected("field name"))
	}
	p.expectKw("from")
	e.X = p.parseExpr()
	p.expectOp(")")
	return e
}

// parsePosition reads `POSITION(a IN b)`, stored as strpos(b, a); a plain
// position(s, sub) call is accepted too (an alias of strpos). The first argument is read
// above comparison level so its IN is not taken for the IN operator.
func (p *parser) parsePosition() Expr {
	fc := &FuncCall{Pos: p.next().pos, Name: "position"}
	p.expectOp("(")
	first := p.parseBinary(precCmp + 1)
	if p.acceptKw("in") {
		// POSITION(sub IN s) is strpos(s, sub), the registry's function.
		fc.Name = "strpos"
		fc.Args = []Expr{p.parseExpr(), first}
		p.expectOp(")")
		return p.parseCallSuffix(fc)
	}
	fc.Args = []Expr{p.continueBinary(first, precOr)}
	for p.acceptOp(",") {
		fc.Args = append(fc.Args, p.parseExpr())
	}
	p.closeList()
	return p.parseCallSuffix(fc)
}

// trimSides maps TRIM's side keyword to the function that trims it.
var trimSides = map[string]string{"both": "trim", "leading": "ltrim", "trailing": "rtrim"}

// parseTrim reads the standard `TRIM([BOTH|LEADING|TRAILING] [chars] FROM s)`
// as trim/ltrim/rtrim(s[, chars]), and the plain call form trim(s[, chars]).
func (p *parser) parseTrim() Expr {
	fc := &FuncCall{Pos: p.next().pos, Name: "trim"}
	p.expectOp("(")
	side := false
	if t := p.peek(); t.kind == tWord {
		if name, ok := trimSides[t.val]; ok && !isOpTok(p.peekN(1), ")") && !isOpTok(p.peekN(1), ",") {
			p.next()
			fc.Name, side = name, true
		}
	}
	if p.acceptKw("from") {
		fc.Args = []Expr{p.parseExpr()}
		p.expectOp(")")
		return p.parseCallSuffix(fc)
	}
	first := p.parseExpr()
	if p.acceptKw("from") {
		fc.Args = []Expr{p.parseExpr(), first}
		p.expectOp(")")
		return p.parseCallSuffix(fc)
	}
	if side {
		panic(p.unexpected("FROM"))
	}
	fc.Args = []Expr{first}
	for p.acceptOp(",") {
		fc.Args = append(fc.Args, p.parseExpr())
	}
	p.closeList()
	return p.parseCallSuffix(fc)
}

// parseSubstring reads `SUBSTRING(x FROM a FOR b)` (and the plain call
// form) as substr(x, a[, b]), the name the function registry uses.
func (p *parser) parseSubstring() Expr {
	fc := &FuncCall{Pos: p.next().pos, Name: "substr"}
	p.expectOp("(")
	fc.Args = []Expr{p.parseExpr()}
	if p.isKw("from") || p.isKw("for") {
		var from Expr
		if p.acceptKw("from") {
			from = p.parseExpr()
		}
		if t := p.peek(); p.acceptKw("for") {
			if from == nil {
				from = &Literal{Pos: t.pos, Kind: NumberLit, Raw: "1"}
			}
			fc.Args = append(fc.Args, from, p.parseExpr())
		} else {
			fc.Args = append(fc.Args, from)
		}
		p.expectOp(")")
		return p.parseCallSuffix(fc)
	}
	for p.acceptOp(",") {
		fc.Args = append(fc.Args, p.parseExpr())
	}
	p.closeList()
	return p.parseCallSuffix(fc)
}

// parseInterval reads INTERVAL '1 hour', INTERVAL '1' HOUR,
// INTERVAL '1:30' HOUR TO MINUTE and the MySQL-style INTERVAL 5 MINUTE.
func (p *parser) parseInterval() Expr {
	iv := &IntervalLit{Pos: p.next().pos, Value: p.next().val}
	if u, ok := p.intervalUnit(0); ok {
		p.next()
		iv.Unit = u
		if p.isKw("to") {
			if u, ok := p.intervalUnit(1); ok {
				p.next()
				p.next()
				iv.ToUnit = u
			}
		}
	}
	return iv
}

func (p *parser) intervalUnit(n int) (string, bool) {
	t := p.peekN(n)
	if t.kind != tWord {
		return "", false
	}
	u, ok := intervalUnits[t.val]
	return u, ok
}
