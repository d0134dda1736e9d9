package expr

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/streamsql/streamsql/planner/functions"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

// A tiny parser and binder for the constant SQL expressions used as
// function examples, so tests can run every Example through
// functions.Resolve, Compile and the kernels. It is not the real binder:
// it knows literals, operators, function calls and CAST only.

type miniParser struct {
	toks []string
	pos  int
	cols map[string]*logical.ColumnRef
}

func tokenize(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			i++
		case c == '\'':
			j := i + 1
			var b strings.Builder
			for ; j < len(s); j++ {
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						b.WriteByte('\'')
						j++
						continue
					}
					break
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string in %q", s)
			}
			toks = append(toks, "'"+b.String())
			i = j + 1
		case unicode.IsDigit(rune(c)):
			j := i
			for j < len(s) && (unicode.IsDigit(rune(s[j])) || s[j] == '.') {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		case unicode.IsLetter(rune(c)) || c == '_':
			j := i
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])) || s[j] == '_') {
				j++
			}
			toks = append(toks, strings.ToLower(s[i:j]))
			i = j
		default:
			for _, op := range []string{"->>", "->", "<>", "<=", ">=", "!=", "||"} {
				if strings.HasPrefix(s[i:], op) {
					toks = append(toks, op)
					i += len(op)
					goto next
				}
			}
			toks = append(toks, string(c))
			i++
		next:
		}
	}
	return toks, nil
}

func (p *miniParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *miniParser) next() string { t := p.peek(); p.pos++; return t }

func (p *miniParser) expect(t string) error {
	if got := p.next(); got != t {
		return fmt.Errorf("expected %q, got %q", t, got)
	}
	return nil
}

// bindExample parses and binds a constant expression.
func bindExample(s string) (logical.Expr, error) { return bindSQL(s, nil) }

// bindSQL parses and binds an expression over the named columns.
func bindSQL(s string, cols map[string]*logical.ColumnRef) (logical.Expr, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &miniParser{toks: toks, cols: cols}
	e, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("trailing tokens %v", p.toks[p.pos:])
	}
	return e, nil
}

var binPrec = map[string]int{
	"or": 1, "and": 2, "=": 4, "<>": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4, "is": 4, "like": 4,
	"ilike": 4, "in": 4, "not": 4, "||": 5, "+": 6, "-": 6, "*": 7, "/": 7, "%": 7, "->": 9, "->>": 9,
}

func (p *miniParser) expr(minPrec int) (logical.Expr, error) {
	var left logical.Expr
	var err error
	switch p.peek() {
	case "not":
		p.next()
		x, err := p.expr(3)
		if err != nil {
			return nil, err
		}
		left, err = call("not", x)
		if err != nil {
			return nil, err
		}
	case "-":
		p.next()
		x, err := p.expr(8)
		if err != nil {
			return nil, err
		}
		if left, err = call("neg", x); err != nil {
			return nil, err
		}
	default:
		if left, err = p.primary(); err != nil {
			return nil, err
		}
	}
	for {
		op := p.peek()
		prec, ok := binPrec[op]
		if !ok || prec <= minPrec {
			return left, nil
		}
		p.next()
		switch op {
		case "is":
			not := p.peek() == "not"
			if not {
				p.next()
			}
			if p.peek() == "null" {
				p.next()
				name := "is_null"
				if not {
					name = "is_not_null"
				}
				if left, err = call(name, left); err != nil {
					return nil, err
				}
				continue
			}
			if err := p.expect("distinct"); err != nil {
				return nil, err
			}
			if err := p.expect("from"); err != nil {
				return nil, err
			}
			right, err := p.expr(prec)
			if err != nil {
				return nil, err
			}
			name := "is_distinct_from"
			if not {
				name = "is_not_distinct_from"
			}
			if left, err = call(name, left, right); err != nil {
				return nil, err
			}
			continue
		case "!=":
			op = "<>"
		case "in", "not":
			not := op == "not"
			if not {
				if err := p.expect("in"); err != nil {
					return nil, err
				}
			}
			if err := p.expect("("); err != nil {
				return nil, err
			}
			in := &logical.InList{X: left, Not: not}
			for p.peek() != ")" {
				e, err := p.expr(0)
				if err != nil {
					return nil, err
				}
				in.List = append(in.List, e)
				if p.peek() == "," {
					p.next()
				}
			}
			p.next()
			left = in
			continue
		}
		right, err := p.expr(prec)
		if err != nil {
			return nil, err
		}
		args := []logical.Expr{left, right}
		if (op == "like" || op == "ilike") && p.peek() == "escape" {
			p.next()
			esc, err := p.expr(prec)
			if err != nil {
				return nil, err
			}
			args = append(args, esc)
		}
		if left, err = call(op, args...); err != nil {
			return nil, err
		}
	}
}

func (p *miniParser) primary() (logical.Expr, error) {
	t := p.next()
	switch {
	case t == "(":
		e, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		return e, p.expect(")")
	case strings.HasPrefix(t, "'"):
		return &logical.Literal{Value: t[1:], T: types.VarcharType}, nil
	case t == "null":
		return &logical.Literal{T: types.NullType}, nil
	case t == "true" || t == "false":
		return &logical.Literal{Value: t == "true", T: types.BooleanType}, nil
	case t != "" && unicode.IsDigit(rune(t[0])):
		if strings.Contains(t, ".") {
			f, err := strconv.ParseFloat(t, 64)
			return &logical.Literal{Value: f, T: types.DoubleType}, err
		}
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return nil, err
		}
		if n == int64(int32(n)) {
			return &logical.Literal{Value: int32(n), T: types.IntegerType}, nil
		}
		return &logical.Literal{Value: n, T: types.BigintType}, nil
	case (t == "timestamp" || t == "date" || t == "interval" || t == "json") && strings.HasPrefix(p.peek(), "'"):
		s := p.next()[1:]
		typ, _ := types.Parse(t)
		return &logical.Cast{X: &logical.Literal{Value: s, T: types.VarcharType}, To: typ}, nil
	case t == "cast" || t == "try_cast":
		if err := p.expect("("); err != nil {
			return nil, err
		}
		x, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		if err := p.expect("as"); err != nil {
			return nil, err
		}
		typ, ok := types.Parse(p.next())
		if !ok {
			return nil, fmt.Errorf("unknown type")
		}
		return &logical.Cast{X: x, To: typ, Try: t == "try_cast"}, p.expect(")")
	case t == "case":
		return p.caseExpr()
	case p.cols[t] != nil && p.peek() != "(":
		return p.cols[t], nil
	case p.peek() == "(":
		p.next()
		var args []logical.Expr
		for p.peek() != ")" {
			a, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			if p.peek() == "," {
				p.next()
			}
		}
		p.next()
		return call(t, args...)
	}
	return nil, fmt.Errorf("unexpected token %q", t)
}

// caseExpr parses a searched CASE; branch results are cast to the
// common type.
func (p *miniParser) caseExpr() (logical.Expr, error) {
	c := &logical.Case{T: types.NullType}
	for p.peek() == "when" {
		p.next()
		cond, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		if err := p.expect("then"); err != nil {
			return nil, err
		}
		res, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		c.Whens = append(c.Whens, logical.When{Cond: cond, Result: res})
		c.T, _ = types.Common(c.T, res.Type())
	}
	c.Else = &logical.Literal{T: types.NullType}
	if p.peek() == "else" {
		p.next()
		e, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		c.Else = e
		c.T, _ = types.Common(c.T, e.Type())
	}
	if err := p.expect("end"); err != nil {
		return nil, err
	}
	for i := range c.Whens {
		if c.Whens[i].Result.Type() != c.T {
			c.Whens[i].Result = &logical.Cast{X: c.Whens[i].Result, To: c.T}
		}
	}
	if c.Else.Type() != c.T {
		c.Else = &logical.Cast{X: c.Else, To: c.T}
	}
	return c, nil
}

// call resolves a function and casts its arguments like the binder does.
func call(name string, args ...logical.Expr) (logical.Expr, error) {
	ts := make([]types.Type, len(args))
	consts := make([]any, len(args))
	for i, a := range args {
		ts[i] = a.Type()
		if l, ok := a.(*logical.Literal); ok {
			consts[i] = l.Value
		}
	}
	f, sig, err := functions.ResolveConst(name, ts, consts)
	if err != nil {
		return nil, err
	}
	for i, a := range args {
		if a.Type() != sig.Args[i] {
			args[i] = &logical.Cast{X: a, To: sig.Args[i]}
		}
	}
	return &logical.Call{Func: f.Name, Args: args, T: sig.Return}, nil
}
