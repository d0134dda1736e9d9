package bind

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/parse"
	"github.com/streamsql/streamsql/planner/types"
)

// Postgres treats a quoted literal as of unknown type until context fixes
// it; streamsql types it VARCHAR but lets a comparison (=, <>, <, <=, >, >=,
// BETWEEN, IN, IS DISTINCT FROM), a CASE/VALUES column or a boolean
// context reinterpret it as the other side's type, parsing the text at bind
// time.

// untypedLit reports whether x is a string literal (or string parameter)
// that has not been given a type by context.
func (b *binder) untypedLit(x logical.Expr) (*logical.Literal, bool) {
	lit, ok := x.(*logical.Literal)
	if !ok {
		return nil, false
	}
	_, ok = b.untyped[lit]
	return lit, ok
}

// wantsCoercion reports whether a string literal compared with a value of
// type t is read as a t.
func wantsCoercion(t types.Type) bool {
	switch t.Kind {
	case types.Timestamp, types.Date, types.Interval, types.Boolean, types.Integer, types.Bigint, types.Double:
		return true
	}
	return false
}

// coercePair retypes an untyped string literal on one side of a comparison
// to the other side's type.
func (b *binder) coercePair(l, r logical.Expr) (logical.Expr, logical.Expr, error) {
	var err error
	if lit, ok := b.untypedLit(l); ok && wantsCoercion(r.Type()) {
		l, err = b.coerceLit(lit, r.Type())
	} else if lit, ok := b.untypedLit(r); ok && wantsCoercion(l.Type()) {
		r, err = b.coerceLit(lit, l.Type())
	}
	return l, r, err
}

// coerceLit parses an untyped string literal as a t.
func (b *binder) coerceLit(lit *logical.Literal, t types.Type) (logical.Expr, error) {
	pos := b.untyped[lit]
	s, _ := lit.Value.(string)
	v, err := parseText(s, t)
	if err != nil {
		return nil, b.errAt(pos, "%s", err.Msg)
	}
	return &logical.Literal{Value: v, T: t}, nil
}

// parseValue parses the text of a typed literal (TIMESTAMP '…').
func (b *binder) parseValue(n parse.Node, s string, t types.Type) (any, error) {
	v, err := parseText(s, t)
	if err != nil {
		return nil, b.errf(n, "%s", err.Msg)
	}
	return v, nil
}

// pgName is how Postgres spells a type in input-syntax errors.
func pgName(t types.Type) string {
	switch t.Kind {
	case types.Double:
		return "double precision"
	case types.Varchar:
		return "text"
	}
	return strings.ToLower(t.String())
}

type textError struct{ Msg string }

// parseText reads s as a value of t (in logical.Literal's representation).
func parseText(s string, t types.Type) (any, *textError) {
	bad := &textError{Msg: fmt.Sprintf("invalid input syntax for type %s: %q", pgName(t), s)}
	trimmed := strings.TrimSpace(s)
	switch t.Kind {
	case types.Varchar, types.JSON:
		return s, nil
	case types.Boolean:
		switch strings.ToLower(trimmed) {
		case "t", "true", "y", "yes", "on", "1":
			return true, nil
		case "f", "false", "n", "no", "off", "0":
			return false, nil
		}
		return nil, bad
	case types.Integer, types.Bigint:
		bits := 64
		if t.Kind == types.Integer {
			bits = 32
		}
		v, err := strconv.ParseInt(trimmed, 10, bits)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return nil, &textError{Msg: fmt.Sprintf("value %q is out of range for type %s", s, pgName(t))}
			}
			return nil, bad
		}
		if t.Kind == types.Integer {
			return int32(v), nil
		}
		return v, nil
	case types.Double:
		v, err := strconv.ParseFloat(trimmed, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, bad
		}
		return v, nil
	case types.Timestamp:
		v, err := types.ParseTimestamp(trimmed)
		if err != nil {
			return nil, bad
		}
		return v, nil
	case types.Date:
		v, err := types.ParseDate(trimmed)
		if err != nil {
			return nil, bad
		}
		return v, nil
	case types.Interval:
		v, err := types.ParseInterval(trimmed, "")
		if err != nil {
			return nil, bad
		}
		return v, nil
	}
	return nil, &textError{Msg: fmt.Sprintf("cannot read a %s literal", t)}
}

// unify finds the common type of exprs (CASE branches, a VALUES column):
// untyped string literals take the type of the others when that is not a
// string. nodes are the expressions' AST nodes, for error positions.
func (b *binder) unify(exprs []logical.Expr, nodes []parse.Node, what string) (types.Type, error) {
	t := types.NullType
	for i, e := range exprs {
		if _, ok := b.untypedLit(e); ok {
			continue
		}
		nt, ok := types.Common(t, e.Type())
		if !ok {
			return types.Type{}, b.errf(nodes[i], "%s types %s and %s cannot be matched", what, t, e.Type())
		}
		t = nt
	}
	coerce := wantsCoercion(t)
	for i, e := range exprs {
		lit, ok := b.untypedLit(e)
		if !ok {
			continue
		}
		if coerce {
			v, err := b.coerceLit(lit, t)
			if err != nil {
				return types.Type{}, err
			}
			exprs[i] = v
			continue
		}
		nt, ok := types.Common(t, types.VarcharType)
		if !ok {
			return types.Type{}, b.errf(nodes[i], "%s types %s and %s cannot be matched", what, t, types.VarcharType)
		}
		t = nt
	}
	return t, nil
}

// targetCol is a column an INSERT writes.
type targetCol struct {
	name string
	dt   arrow.DataType
}

// castToTargets projects plan's columns to the targets' types.
func (b *binder) castToTargets(plan logical.Node, targets []targetCol) (logical.Node, error) {
	cols := plan.Schema()
	need := false
	exprs := make([]logical.Expr, len(cols))
	out := make([]logical.Column, len(cols))
	for i, c := range cols {
		t, err := types.FromArrow(targets[i].dt)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", targets[i].name, err)
		}
		ref := &logical.ColumnRef{ID: c.ID, Name: c.Name, T: c.Type}
		exprs[i] = ref
		if c.Type != t && c.Type.Kind != types.Null {
			if !castable(c.Type, t) {
				return nil, fmt.Errorf("column %q is of type %s but expression is of type %s", targets[i].name, t, c.Type)
			}
			exprs[i] = &logical.Cast{X: ref, To: t}
			need = true
		} else if c.Type.Kind == types.Null {
			exprs[i] = &logical.Cast{X: ref, To: t}
			need = true
		}
		out[i] = logical.Column{ID: b.gen.Next(), Name: targets[i].name, Type: t, Nullable: true}
	}
	if !need {
		return plan, nil
	}
	return &logical.Project{Input: plan, Exprs: exprs, Cols: out}, nil
}

// constInt evaluates a constant integer expression (LIMIT, OFFSET): number
// literals, parameters, string literals holding integers, unary minus,
// + - * and casts. null reports a NULL value.
func (b *binder) constInt(e logical.Expr) (v int64, null bool, ok bool) {
	switch e := e.(type) {
	case *logical.Literal:
		switch x := e.Value.(type) {
		case nil:
			return 0, true, true
		case int32:
			return int64(x), false, true
		case int64:
			return x, false, true
		case float64:
			if math.IsNaN(x) || math.Abs(x) > math.MaxInt64/2 {
				return 0, false, false
			}
			return int64(math.Round(x)), false, true
		case string:
			if _, untyped := b.untyped[e]; untyped {
				n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
				return n, false, err == nil
			}
		}
		return 0, false, false
	case *logical.Cast:
		if !e.To.IsNumeric() {
			return 0, false, false
		}
		return b.constInt(e.X)
	case *logical.Call:
		args := make([]int64, len(e.Args))
		for i, a := range e.Args {
			n, isNull, ok := b.constInt(a)
			if !ok {
				return 0, false, false
			}
			if isNull {
				return 0, true, true
			}
			args[i] = n
		}
		switch {
		case e.Func == "neg" && len(args) == 1:
			return -args[0], false, true
		case e.Func == "+" && len(args) == 2:
			return args[0] + args[1], false, true
		case e.Func == "-" && len(args) == 2:
			return args[0] - args[1], false, true
		case e.Func == "*" && len(args) == 2:
			return args[0] * args[1], false, true
		}
	}
	return 0, false, false
}
