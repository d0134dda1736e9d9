package parse

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxDepth bounds parser recursion so hostile or generated SQL gets a clean
// error instead of exhausting the goroutine stack (and so later phases that
// walk the AST recursively are safe too).
const maxDepth = 1000

// recoverInternal turns an unexpected panic (a parser bug) into an error so
// a bad query can never crash the server. The fuzz test switches it off so
// such bugs surface as crashes.
var recoverInternal = true

// Parse parses one or more statements separated by ';'. A trailing ';' and
// empty statements are fine; empty input yields an empty slice. Positions
// are relative to sql.
func Parse(sql string) ([]Statement, error) {
	return run(sql, func(p *parser) []Statement {
		stmts := []Statement{}
		for {
			for p.acceptOp(";") {
			}
			if p.peek().kind == tEOF {
				return stmts
			}
			stmts = append(stmts, p.parseStatement())
			if !p.isOp(";") && p.peek().kind != tEOF {
				panic(p.unexpected("';' or end of input"))
			}
		}
	})
}

// ParseOne parses exactly one statement with an optional trailing ';'
// (repeated semicolons are tolerated, a second statement is not).
func ParseOne(sql string) (Statement, error) {
	return run(sql, func(p *parser) Statement {
		s := p.parseStatement()
		if p.acceptOp(";") {
			for p.acceptOp(";") {
			}
			if p.peek().kind != tEOF {
				panic(p.unexpected("end of input"))
			}
		} else if p.peek().kind != tEOF {
			panic(p.unexpected("';' or end of input"))
		}
		return s
	})
}

// ParseExpr parses a single scalar expression.
func ParseExpr(sql string) (Expr, error) {
	return run(sql, func(p *parser) Expr {
		e := p.parseExpr()
		if p.peek().kind != tEOF {
			panic(p.unexpected("end of input"))
		}
		return e
	})
}

type parser struct {
	src   string
	toks  []token
	match []int // for each '(' token, the index of its ')' (or -1)
	// past[i] is the first token at or after i that is not '(', so
	// lookahead through long runs of parentheses stays linear.
	past  []int
	i     int // current token
	depth int
}

// bailout carries a syntax error up the recursive descent. Panicking keeps
// the grammar code linear; run converts it back into an error, so no panic
// leaves the package.
type bailout struct{ err *Error }

func run[T any](src string, parse func(*parser) T) (res T, err error) {
	toks, lerr := lex(src)
	if lerr != nil {
		return res, lerr
	}
	p := &parser{src: src, toks: toks, match: matchParens(toks), past: pastParens(toks)}
	defer func() {
		if r := recover(); r != nil {
			if b, ok := r.(bailout); ok {
				err = b.err
				return
			}
			if !recoverInternal {
				panic(r)
			}
			err = NewError(src, p.peek().pos, "internal parser error: %v", r)
		}
	}()
	return parse(p), nil
}

func matchParens(toks []token) []int {
	m := make([]int, len(toks))
	var open []int
	for i, t := range toks {
		m[i] = -1
		if t.kind != tOp {
			continue
		}
		switch {
		case t.val == "(":
			open = append(open, i)
		case t.val == ")" && len(open) > 0:
			m[open[len(open)-1]] = i
			open = open[:len(open)-1]
		}
	}
	return m
}

func pastParens(toks []token) []int {
	past := make([]int, len(toks))
	next := len(toks)
	for i := len(toks) - 1; i >= 0; i-- {
		if !isOpTok(toks[i], "(") {
			next = i
		}
		past[i] = next
	}
	return past
}

// ---- token helpers ----

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peekN(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) tokAt(i int) token {
	if i < len(p.toks) {
		return p.toks[i]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func isKwTok(t token, kw string) bool { return t.kind == tWord && t.val == kw }
func isOpTok(t token, op string) bool { return t.kind == tOp && t.val == op }

func (p *parser) isKw(kw string) bool         { return isKwTok(p.peek(), kw) }
func (p *parser) isKwN(n int, kw string) bool { return isKwTok(p.peekN(n), kw) }
func (p *parser) isOp(op string) bool         { return isOpTok(p.peek(), op) }
func (p *parser) isOpN(n int, op string) bool { return isOpTok(p.peekN(n), op) }

func (p *parser) acceptKw(kw string) bool {
	if p.isKw(kw) {
		p.next()
		return true
	}
	return false
}

func (p *parser) acceptOp(op string) bool {
	if p.isOp(op) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expectKw(kw string) token {
	if !p.isKw(kw) {
		panic(p.unexpected(strings.ToUpper(kw)))
	}
	return p.next()
}

func (p *parser) expectOp(op string) token {
	if !p.isOp(op) {
		panic(p.unexpected("'" + op + "'"))
	}
	return p.next()
}

// closeList ends a parenthesised list; the message says a comma would
// also have been fine, which is usually what the user forgot.
func (p *parser) closeList() {
	if !p.acceptOp(")") {
		panic(p.unexpected("',' or ')'"))
	}
}

func (p *parser) errf(pos Pos, format string, args ...any) bailout {
	return bailout{NewError(p.src, pos, format, args...)}
}

// unexpected reports that the current token is not what the grammar wanted.
func (p *parser) unexpected(what string) bailout {
	t := p.peek()
	return p.errf(t.pos, "expected %s, found %s", what, p.describe(t))
}

// describe renders a token for messages, as written in the source.
func (p *parser) describe(t token) string {
	if t.kind == tEOF {
		return "end of input"
	}
	raw := p.src[t.pos.Offset:t.end]
	if utf8.RuneCountInString(raw) > 40 {
		r := []rune(raw)
		raw = string(r[:40]) + "..."
	}
	if t.kind == tString {
		return "string literal " + raw
	}
	return "'" + raw + "'"
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		panic(p.errf(p.peek().pos, "expression nested too deeply"))
	}
}

func (p *parser) leave() { p.depth-- }

// ---- names ----

// isName reports whether t can be a bare identifier.
func isName(t token) bool {
	return t.kind == tQuoted || (t.kind == tWord && !reserved[t.val])
}

// parseIdent reads one identifier; what names it in the error message.
func (p *parser) parseIdent(what string) string {
	if !isName(p.peek()) {
		panic(p.unexpected(what))
	}
	return p.next().val
}

// parseName reads a possibly qualified name `a.b.c`. Parts after a dot may
// be any word, reserved or not, since a dot leaves no ambiguity.
func (p *parser) parseName(what string) []string {
	parts := []string{p.parseIdent(what)}
	for p.acceptOp(".") {
		parts = append(parts, p.parseNamePart())
	}
	return parts
}

func (p *parser) parseNamePart() string {
	t := p.peek()
	if t.kind != tWord && t.kind != tQuoted {
		panic(p.unexpected("identifier"))
	}
	return p.next().val
}

// parseIdentList reads `(a, b, …)`.
func (p *parser) parseIdentList() []string {
	p.expectOp("(")
	var names []string
	for {
		names = append(names, p.parseIdent("column name"))
		if !p.acceptOp(",") {
			break
		}
	}
	p.closeList()
	return names
}

// parseAlias reads `AS name` or a bare non-reserved name; "" when absent.
// After AS any word is accepted (`SELECT 1 AS from` is valid Postgres).
func (p *parser) parseAlias() string {
	if p.acceptKw("as") {
		return p.parseNamePart()
	}
	if isName(p.peek()) {
		return p.next().val
	}
	return ""
}

// ---- statements ----

func (p *parser) parseStatement() Statement {
	p.enter()
	defer p.leave()
	t := p.peek()
	switch {
	case isKwTok(t, "select"), isKwTok(t, "values"), isKwTok(t, "with"), isOpTok(t, "("):
		return p.parseQuery()
	case isKwTok(t, "create"):
		return p.parseCreate()
	case isKwTok(t, "insert"):
		return p.parseInsert()
	case isKwTok(t, "drop"):
		return p.parseDrop()
	case isKwTok(t, "explain"):
		p.next()
		ex := &Explain{Pos: t.pos, Analyze: p.acceptKw("analyze")}
		ex.Stmt = p.parseStatement()
		return ex
	}
	panic(p.unexpected("statement"))
}

func (p *parser) parseCreate() Statement {
	pos := p.next().pos
	orReplace := false
	if p.acceptKw("or") {
		p.expectKw("replace")
		orReplace = true
	}
	switch {
	case p.isKw("view"):
		p.next()
		v := &CreateView{Pos: pos, OrReplace: orReplace, Name: p.parseName("view name")}
		if p.isOp("(") {
			v.Columns = p.parseIdentList()
		}
		p.expectKw("as")
		v.Query = p.parseQuery()
		return v
	case p.isKw("table") && !orReplace:
		p.next()
		return p.parseCreateTable(pos)
	case orReplace:
		panic(p.unexpected("VIEW"))
	}
	panic(p.unexpected("TABLE or VIEW"))
}

func (p *parser) parseCreateTable(pos Pos) *CreateTable {
	ct := &CreateTable{Pos: pos}
	if p.isKw("if") && p.isKwN(1, "not") {
		p.next()
		p.next()
		p.expectKw("exists")
		ct.IfNotExists = true
	}
	ct.Name = p.parseName("table name")
	if p.acceptOp("(") {
		for {
			if p.isKw("watermark") && p.isKwN(1, "for") {
				if ct.Watermark != nil {
					panic(p.errf(p.peek().pos, "multiple WATERMARK clauses"))
				}
				w := &Watermark{Pos: p.next().pos}
				p.next()
				w.Column = p.parseIdent("column name")
				p.expectKw("as")
				w.Expr = p.parseExpr()
				ct.Watermark = w
			} else {
				ct.Columns = append(ct.Columns, p.parseColumnDef())
			}
			if !p.acceptOp(",") {
				break
			}
		}
		p.closeList()
	}
	if p.isKw("with") {
		ct.With = p.parseOptions()
	}
	if p.acceptKw("as") {
		ct.As = p.parseQuery()
	}
	return ct
}

func (p *parser) parseColumnDef() *ColumnDef {
	c := &ColumnDef{Pos: p.peek().pos, Name: p.parseIdent("column definition")}
	c.TypeName = p.parseTypeName()
	for {
		switch {
		case p.isKw("not") && p.isKwN(1, "null"):
			p.next()
			p.next()
			c.NotNull = true
		case p.acceptKw("null"):
			c.NotNull = false
		default:
			return c
		}
	}
}

// parseTypeName reads a type as written, upper-cased and with single
// spaces: BIGINT, DOUBLE PRECISION, TIMESTAMP WITH TIME ZONE. Length and
// precision modifiers (`VARCHAR(20)`, `DECIMAL(10, 2)`) are accepted but
// dropped, since the type system has no sized types and types.Parse
// expects the bare name.
func (p *parser) parseTypeName() string {
	t := p.peek()
	if t.kind != tWord || reserved[t.val] {
		panic(p.unexpected("type name"))
	}
	p.next()
	name := strings.ToUpper(t.val)
	switch {
	case name == "DOUBLE" && p.acceptKw("precision"):
		name = "DOUBLE PRECISION"
	case name == "CHARACTER" && p.acceptKw("varying"):
		name = "CHARACTER VARYING"
	}
	if p.acceptOp("(") {
		for {
			if p.peek().kind != tNumber {
				panic(p.unexpected("type modifier"))
			}
			p.next()
			if !p.acceptOp(",") {
				break
			}
		}
		p.closeList()
	}
	if (name == "TIMESTAMP" || name == "TIME") && (p.isKw("with") || p.isKw("without")) &&
		p.isKwN(1, "time") && p.isKwN(2, "zone") {
		name += " " + strings.ToUpper(p.next().val) + " TIME ZONE"
		p.next()
		p.next()
	}
	return name
}

// parseOptions reads `WITH (key = value, …)`. Values keep their text only:
// the connector that reads them knows what type each should have.
func (p *parser) parseOptions() []*Option {
	p.expectKw("with")
	p.expectOp("(")
	var opts []*Option
	for {
		opts = append(opts, p.parseOption())
		if !p.acceptOp(",") {
			break
		}
	}
	p.closeList()
	return opts
}

func (p *parser) parseOption() *Option {
	t := p.peek()
	o := &Option{Pos: t.pos}
	switch t.kind {
	case tString:
		o.Key = p.next().val
	case tWord, tQuoted:
		parts := []string{p.next().val}
		for p.acceptOp(".") {
			parts = append(parts, p.parseNamePart())
		}
		o.Key = strings.Join(parts, ".")
	default:
		panic(p.unexpected("option name"))
	}
	p.expectOp("=")
	v := p.peek()
	switch {
	case v.kind == tString || v.kind == tNumber || v.kind == tWord || v.kind == tQuoted:
		o.Value = p.next().val
	case (isOpTok(v, "-") || isOpTok(v, "+")) && p.peekN(1).kind == tNumber:
		p.next()
		o.Value = v.val + p.next().val
		if v.val == "+" {
			o.Value = o.Value[1:]
		}
	default:
		panic(p.unexpected("option value"))
	}
	return o
}

func (p *parser) parseInsert() *Insert {
	ins := &Insert{Pos: p.next().pos}
	p.expectKw("into")
	ins.Table = p.parseName("table name")
	// `(` starts a column list unless it opens the query itself.
	if p.isOp("(") && isName(p.peekN(1)) {
		ins.Columns = p.parseIdentList()
	}
	ins.Query = p.parseQuery()
	return ins
}

func (p *parser) parseDrop() *Drop {
	d := &Drop{Pos: p.next().pos}
	switch {
	case p.acceptKw("table"):
		d.What = "TABLE"
	case p.acceptKw("view"):
		d.What = "VIEW"
	default:
		panic(p.unexpected("TABLE or VIEW"))
	}
	if p.isKw("if") && p.isKwN(1, "exists") {
		p.next()
		p.next()
		d.IfExists = true
	}
	d.Name = p.parseName(fmt.Sprintf("%s name", strings.ToLower(d.What)))
	return d
}
