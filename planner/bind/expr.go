package bind

import (
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/planner/functions"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/parse"
	"github.com/streamsql/streamsql/planner/types"
)

// ectx is the context an expression is bound in.
type ectx struct {
	sc     *scope
	clause string  // for "aggregate functions are not allowed in <clause>"
	aggs   *aggSet // collects aggregate calls; nil where they are not allowed
	inAgg  bool    // inside an aggregate's arguments
	env    *cteEnv // CTEs visible to subqueries
	// wins collects window functions (ROW_NUMBER() OVER …); nil where
	// they are not allowed (everywhere but the SELECT list).
	wins *[]*logical.RowNumber
}

// expr binds a scalar expression.
func (b *binder) expr(c *ectx, e parse.Expr) (logical.Expr, error) {
	switch e := e.(type) {
	case *parse.Ident:
		col, err := b.resolve(c.sc, e)
		if err != nil {
			return nil, err
		}
		ref := &logical.ColumnRef{ID: col.ID, Name: col.Name, T: col.Type}
		b.refs[ref] = refInfo{pos: e.Pos, name: strings.Join(e.Parts, ".")}
		return ref, nil
	case *parse.Literal:
		return b.literal(e)
	case *parse.IntervalLit:
		v, err := types.ParseInterval(e.Value, e.Unit)
		if err != nil {
			return nil, b.errf(e, "invalid input syntax for type interval: %q", e.Value)
		}
		return &logical.Literal{Value: v, T: types.IntervalType}, nil
	case *parse.TypedLit:
		t, err := b.typeName(e, e.TypeName)
		if err != nil {
			return nil, err
		}
		v, err := b.parseValue(e, e.Value, t)
		if err != nil {
			return nil, err
		}
		return &logical.Literal{Value: v, T: t}, nil
	case *parse.Param:
		return b.param(e)
	case *parse.Unary:
		return b.unary(c, e)
	case *parse.Binary:
		return b.binary(c, e)
	case *parse.FuncCall:
		return b.funcCall(c, e)
	case *parse.Cast:
		return b.cast(c, e)
	case *parse.Case:
		return b.caseExpr(c, e)
	case *parse.InList:
		return b.inList(c, e)
	case *parse.InSubquery:
		return nil, b.errf(e, "IN (subquery) is only supported as a WHERE condition")
	case *parse.Exists:
		return nil, b.errf(e, "EXISTS (subquery) is only supported as a WHERE condition")
	case *parse.ScalarSubquery:
		r, err := b.query(e.Query, c.sc, c.env)
		if err != nil {
			return nil, err
		}
		if len(r.cols) != 1 {
			return nil, b.errf(e, "subquery must return only one column")
		}
		return &logical.Subquery{Plan: r.node, T: r.cols[0].Type}, nil
	case *parse.Between:
		return b.between(c, e)
	case *parse.Like:
		return b.like(c, e)
	case *parse.Is:
		return b.is(c, e)
	case *parse.Extract:
		x, err := b.expr(c, e.X)
		if err != nil {
			return nil, err
		}
		if functions.DatePartField(e.Field) == "" {
			return nil, b.errf(e, "EXTRACT field %q is not recognized", strings.ToLower(e.Field))
		}
		field := &logical.Literal{Value: strings.ToLower(e.Field), T: types.VarcharType}
		return b.call(e, "date_part", field, x)
	case nil:
		return nil, b.errAt(parse.Pos{}, "missing expression")
	}
	return nil, b.errf(e, "unsupported expression %T", e)
}

// exprs binds a list.
func (b *binder) exprs(c *ectx, es []parse.Expr) ([]logical.Expr, error) {
	out := make([]logical.Expr, len(es))
	for i, e := range es {
		var err error
		if out[i], err = b.expr(c, e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// boolExpr binds e and checks it is a BOOLEAN (a NULL literal becomes a
// BOOLEAN NULL); what names the construct for the error.
func (b *binder) boolExpr(c *ectx, e parse.Expr, what string) (logical.Expr, error) {
	x, err := b.expr(c, e)
	if err != nil {
		return nil, err
	}
	return b.asBool(e, x, what)
}

func (b *binder) asBool(n parse.Node, x logical.Expr, what string) (logical.Expr, error) {
	switch x.Type().Kind {
	case types.Boolean:
		return x, nil
	case types.Null:
		return castTo(x, types.BooleanType), nil
	case types.Varchar:
		if lit, ok := b.untypedLit(x); ok {
			return b.coerceLit(lit, types.BooleanType)
		}
	}
	return nil, b.errf(n, "argument of %s must be type BOOLEAN, not type %s", what, x.Type())
}

// literal types a literal token.
func (b *binder) literal(e *parse.Literal) (logical.Expr, error) {
	switch e.Kind {
	case parse.NumberLit:
		raw := strings.ReplaceAll(e.Raw, "_", "")
		if !strings.ContainsAny(raw, ".eE") {
			if v, err := strconv.ParseInt(raw, 10, 64); err == nil {
				if v >= -1<<31 && v < 1<<31 {
					return &logical.Literal{Value: int32(v), T: types.IntegerType}, nil
				}
				return &logical.Literal{Value: v, T: types.BigintType}, nil
			}
		}
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return nil, b.errf(e, "invalid number %q", e.Raw)
		}
		return &logical.Literal{Value: f, T: types.DoubleType}, nil
	case parse.StringLit:
		lit := &logical.Literal{Value: e.Raw, T: types.VarcharType}
		b.untyped[lit] = e.Pos
		return lit, nil
	case parse.BoolLit:
		return &logical.Literal{Value: strings.EqualFold(e.Raw, "true"), T: types.BooleanType}, nil
	case parse.NullLit:
		return &logical.Literal{Value: nil, T: types.NullType}, nil
	}
	return nil, b.errf(e, "unsupported literal %q", e.Raw)
}

// param turns $n into a literal of its Go value's type.
func (b *binder) param(e *parse.Param) (logical.Expr, error) {
	if e.Index < 1 || e.Index > len(b.opts.Params) {
		return nil, b.errf(e, "no value for parameter $%d", e.Index)
	}
	switch v := b.opts.Params[e.Index-1].(type) {
	case nil:
		return &logical.Literal{Value: nil, T: types.NullType}, nil
	case bool:
		return &logical.Literal{Value: v, T: types.BooleanType}, nil
	case int:
		return &logical.Literal{Value: int64(v), T: types.BigintType}, nil
	case int32:
		return &logical.Literal{Value: v, T: types.IntegerType}, nil
	case int64:
		return &logical.Literal{Value: v, T: types.BigintType}, nil
	case float32:
		return &logical.Literal{Value: float64(v), T: types.DoubleType}, nil
	case float64:
		return &logical.Literal{Value: v, T: types.DoubleType}, nil
	case string:
		lit := &logical.Literal{Value: v, T: types.VarcharType}
		b.untyped[lit] = e.Pos
		return lit, nil
	default:
		return nil, b.errf(e, "unsupported value for parameter $%d: %T", e.Index, v)
	}
}

// typeName parses a SQL type name.
func (b *binder) typeName(n parse.Node, name string) (types.Type, error) {
	t, ok := types.Parse(name)
	if !ok {
		return types.Type{}, b.errf(n, "type %q does not exist", strings.ToLower(name))
	}
	return t, nil
}

func (b *binder) unary(c *ectx, e *parse.Unary) (logical.Expr, error) {
	if strings.EqualFold(e.Op, "NOT") {
		x, err := b.boolExpr(c, e.X, "NOT")
		if err != nil {
			return nil, err
		}
		return b.call(e, "not", x)
	}
	x, err := b.expr(c, e.X)
	if err != nil {
		return nil, err
	}
	switch e.Op {
	case "-":
		return b.call(e, "neg", x)
	case "+":
		t := x.Type()
		if t.IsNumeric() || t.Kind == types.Interval || t.Kind == types.Null {
			return x, nil
		}
		return nil, b.errf(e, "operator does not exist: + %s", t)
	}
	return nil, b.errf(e, "unsupported operator %s", e.Op)
}

// comparisons are the operators whose string-literal operand takes the
// other operand's type.
var comparisons = map[string]bool{"=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true,
	"is_distinct_from": true, "is_not_distinct_from": true}

func (b *binder) binary(c *ectx, e *parse.Binary) (logical.Expr, error) {
	op := strings.ToLower(e.Op)
	if op == "!=" {
		op = "<>"
	}
	if op == "and" || op == "or" {
		what := strings.ToUpper(op)
		l, err := b.boolExpr(c, e.L, what)
		if err != nil {
			return nil, err
		}
		r, err := b.boolExpr(c, e.R, what)
		if err != nil {
			return nil, err
		}
		return b.call(e, op, l, r)
	}
	l, err := b.expr(c, e.L)
	if err != nil {
		return nil, err
	}
	r, err := b.expr(c, e.R)
	if err != nil {
		return nil, err
	}
	return b.operator(e, op, l, r)
}

// operator applies a binary operator by canonical name, coercing string
// literals for comparisons.
func (b *binder) operator(n parse.Node, op string, l, r logical.Expr) (logical.Expr, error) {
	if comparisons[op] {
		var err error
		if l, r, err = b.coercePair(l, r); err != nil {
			return nil, err
		}
	}
	return b.call(n, op, l, r)
}

// call resolves a scalar function or operator through the registry and
// casts the arguments to its signature.
func (b *binder) call(n parse.Node, name string, args ...logical.Expr) (logical.Expr, error) {
	ts := make([]types.Type, len(args))
	consts := make([]any, len(args))
	for i, a := range args {
		ts[i] = a.Type()
		if lit, ok := a.(*logical.Literal); ok {
			consts[i] = lit.Value
		}
	}
	f, sig, err := functions.ResolveConst(name, ts, consts)
	if err != nil {
		return nil, b.errf(n, "%v", err)
	}
	if f.Kind != functions.Scalar {
		return nil, b.errf(n, "%s is not a scalar function", name)
	}
	cast, err := b.castArgs(n, f.Name, args, sig)
	if err != nil {
		return nil, err
	}
	return &logical.Call{Func: f.Name, Args: cast, T: sig.Return}, nil
}

// castArgs casts args to the signature's types (retyping NULL literals).
func (b *binder) castArgs(n parse.Node, name string, args []logical.Expr, sig functions.Signature) ([]logical.Expr, error) {
	if len(sig.Args) != len(args) {
		return nil, b.errf(n, "function %s resolved to %d parameters for %d arguments", name, len(sig.Args), len(args))
	}
	out := make([]logical.Expr, len(args))
	for i, a := range args {
		out[i] = castTo(a, sig.Args[i])
	}
	return out, nil
}

// castTo converts x to t: unchanged when it already is, a retyped literal
// for NULL, otherwise an implicit Cast.
func castTo(x logical.Expr, t types.Type) logical.Expr {
	if x.Type() == t || t.Kind == types.Null {
		return x
	}
	if lit, ok := x.(*logical.Literal); ok && lit.Value == nil {
		return &logical.Literal{Value: nil, T: t}
	}
	return &logical.Cast{X: x, To: t}
}

func (b *binder) cast(c *ectx, e *parse.Cast) (logical.Expr, error) {
	x, err := b.expr(c, e.X)
	if err != nil {
		return nil, err
	}
	t, err := b.typeName(e, e.TypeName)
	if err != nil {
		return nil, err
	}
	from := x.Type()
	if lit, ok := x.(*logical.Literal); ok && lit.Value == nil {
		return &logical.Literal{Value: nil, T: t}, nil
	}
	if !castable(from, t) {
		return nil, b.errf(e, "cannot cast type %s to %s", from, t)
	}
	if from == t && !e.Try {
		return x, nil
	}
	return &logical.Cast{X: x, To: t, Try: e.Try}, nil
}

// castable reports whether an explicit CAST from → to exists.
func castable(from, to types.Type) bool {
	switch {
	case from == to, from.Kind == types.Null, from.IsString(), to.IsString():
		return true
	case from.IsNumeric() && to.IsNumeric():
		return true
	case from.Kind == types.Boolean && to.IsInteger(), from.IsInteger() && to.Kind == types.Boolean:
		return true
	case (from.Kind == types.Timestamp || from.Kind == types.Date) && (to.Kind == types.Timestamp || to.Kind == types.Date):
		return true
	}
	return false
}

func (b *binder) caseExpr(c *ectx, e *parse.Case) (logical.Expr, error) {
	var operand logical.Expr
	if e.Operand != nil {
		var err error
		if operand, err = b.expr(c, e.Operand); err != nil {
			return nil, err
		}
	}
	if len(e.Whens) == 0 {
		return nil, b.errf(e, "CASE needs at least one WHEN")
	}
	whens := make([]logical.When, len(e.Whens))
	results := make([]logical.Expr, 0, len(e.Whens)+1)
	nodes := make([]parse.Node, 0, len(e.Whens)+1)
	for i, w := range e.Whens {
		var cond logical.Expr
		var err error
		if operand != nil {
			v, err := b.expr(c, w.Cond)
			if err != nil {
				return nil, err
			}
			if cond, err = b.operator(w.Cond, "=", operand, v); err != nil {
				return nil, err
			}
		} else if cond, err = b.boolExpr(c, w.Cond, "CASE/WHEN"); err != nil {
			return nil, err
		}
		res, err := b.expr(c, w.Result)
		if err != nil {
			return nil, err
		}
		whens[i].Cond = cond
		results = append(results, res)
		nodes = append(nodes, w.Result)
	}
	if e.Else != nil {
		els, err := b.expr(c, e.Else)
		if err != nil {
			return nil, err
		}
		results = append(results, els)
		nodes = append(nodes, e.Else)
	}
	t, err := b.unify(results, nodes, "CASE")
	if err != nil {
		return nil, err
	}
	for i := range whens {
		whens[i].Result = castTo(results[i], t)
	}
	var els logical.Expr = &logical.Literal{Value: nil, T: t}
	if e.Else != nil {
		els = castTo(results[len(results)-1], t)
	}
	return &logical.Case{Whens: whens, Else: els, T: t}, nil
}

func (b *binder) inList(c *ectx, e *parse.InList) (logical.Expr, error) {
	x, err := b.expr(c, e.X)
	if err != nil {
		return nil, err
	}
	if len(e.List) == 0 {
		return nil, b.errf(e, "IN list must not be empty")
	}
	list, err := b.exprs(c, e.List)
	if err != nil {
		return nil, err
	}
	t := x.Type()
	for i, item := range list {
		if lit, ok := b.untypedLit(item); ok && wantsCoercion(x.Type()) {
			if list[i], err = b.coerceLit(lit, x.Type()); err != nil {
				return nil, err
			}
		} else if lit, ok := b.untypedLit(x); ok && i == 0 && wantsCoercion(item.Type()) {
			if x, err = b.coerceLit(lit, item.Type()); err != nil {
				return nil, err
			}
			t = x.Type()
		}
		nt, ok := types.Common(t, list[i].Type())
		if !ok {
			return nil, b.errf(e.List[i], "operator does not exist: %s = %s", t, list[i].Type())
		}
		t = nt
	}
	out := &logical.InList{X: castTo(x, t), List: make([]logical.Expr, len(list)), Not: e.Not}
	for i, item := range list {
		out.List[i] = castTo(item, t)
	}
	return out, nil
}

func (b *binder) between(c *ectx, e *parse.Between) (logical.Expr, error) {
	x, err := b.expr(c, e.X)
	if err != nil {
		return nil, err
	}
	lo, err := b.expr(c, e.Lo)
	if err != nil {
		return nil, err
	}
	hi, err := b.expr(c, e.Hi)
	if err != nil {
		return nil, err
	}
	lop, hop, join := ">=", "<=", "and"
	if e.Not {
		lop, hop, join = "<", ">", "or"
	}
	l, err := b.operator(e, lop, x, lo)
	if err != nil {
		return nil, err
	}
	h, err := b.operator(e, hop, x, hi)
	if err != nil {
		return nil, err
	}
	return b.call(e, join, l, h)
}

func (b *binder) like(c *ectx, e *parse.Like) (logical.Expr, error) {
	x, err := b.expr(c, e.X)
	if err != nil {
		return nil, err
	}
	p, err := b.expr(c, e.Pattern)
	if err != nil {
		return nil, err
	}
	args := []logical.Expr{x, p}
	if e.Escape != nil {
		esc, err := b.expr(c, e.Escape)
		if err != nil {
			return nil, err
		}
		args = append(args, esc)
	}
	name := "like"
	if e.CaseInsensitive {
		name = "ilike"
	}
	out, err := b.call(e, name, args...)
	if err != nil || !e.Not {
		return out, err
	}
	return b.call(e, "not", out)
}

func (b *binder) is(c *ectx, e *parse.Is) (logical.Expr, error) {
	x, err := b.expr(c, e.X)
	if err != nil {
		return nil, err
	}
	what := strings.ToUpper(e.What)
	switch what {
	case "NULL":
		if e.Not {
			return b.call(e, "is_not_null", x)
		}
		return b.call(e, "is_null", x)
	case "DISTINCT":
		if e.Y == nil {
			return nil, b.errf(e, "IS DISTINCT FROM needs an operand")
		}
		y, err := b.expr(c, e.Y)
		if err != nil {
			return nil, err
		}
		if e.Not {
			return b.operator(e, "is_not_distinct_from", x, y)
		}
		return b.operator(e, "is_distinct_from", x, y)
	case "TRUE", "FALSE", "UNKNOWN":
		name := "IS " + what
		if e.Not {
			name = "IS NOT " + what
		}
		if x, err = b.asBool(e, x, name); err != nil {
			return nil, err
		}
		if what == "UNKNOWN" {
			if e.Not {
				return b.call(e, "is_not_null", x)
			}
			return b.call(e, "is_null", x)
		}
		val := &logical.Literal{Value: what == "TRUE", T: types.BooleanType}
		if e.Not {
			return b.call(e, "is_distinct_from", x, val)
		}
		return b.call(e, "is_not_distinct_from", x, val)
	}
	return nil, b.errf(e, "unsupported IS %s", e.What)
}
