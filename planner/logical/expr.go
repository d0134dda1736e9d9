// Package logical holds streamsql's bound logical plans: a sealed set of plan
// nodes whose column references are resolved to ColumnIDs once, by the
// binder, and typed expressions over those ids. Rules rewrite these trees;
// the physical planner turns them into operators.
package logical

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/planner/types"
)

// ColumnID identifies a column produced somewhere in a plan. Ids are unique
// within one query; a reference never changes meaning when the tree is
// rewritten.
type ColumnID int

// Column describes one output column of a node.
type Column struct {
	ID       ColumnID
	Name     string // output name, as the user sees it
	Table    string // qualifier (table or alias) for display and name lookup; may be ""
	Type     types.Type
	Nullable bool
}

// IDGen hands out fresh ColumnIDs. One per query; rules that introduce
// columns use the same generator as the binder.
type IDGen struct{ next ColumnID }

// Next returns a new, never used id.
func (g *IDGen) Next() ColumnID { g.next++; return g.next }

// Expr is a bound, typed scalar expression.
type Expr interface {
	Type() types.Type
	String() string
	exprNode()
}

// ColumnRef reads a column by id.
type ColumnRef struct {
	ID   ColumnID
	Name string // for display only
	T    types.Type
}

// Literal is a constant. Value holds, by type: nil (NULL of any type), bool,
// int32 (INTEGER), int64 (BIGINT), float64 (DOUBLE), string (VARCHAR, JSON),
// int64 microseconds since the epoch (TIMESTAMP), int32 days since the epoch
// (DATE), types.IntervalValue (INTERVAL).
type Literal struct {
	Value any
	T     types.Type
}

// Call applies a scalar function or operator, by canonical lower-case name:
// operators are "+", "-", "*", "/", "%", "neg", "=", "<>", "<", "<=", ">",
// ">=", "and", "or", "not", "||", "is_null", "is_not_null",
// "is_distinct_from", "is_not_distinct_from", "like", "ilike", "->", "->>";
// everything else is a function from planner/functions (e.g. "lower",
// "date_trunc", "coalesce"). Args are already cast to the signature's types.
type Call struct {
	Func string
	Args []Expr
	T    types.Type
}

// Cast converts X to To. Try casts yield NULL instead of failing.
type Cast struct {
	X   Expr
	To  types.Type
	Try bool
}

// When is one branch of a Case.
type When struct{ Cond, Result Expr }

// Case is a searched CASE; the operand form is desugared to equalities.
// Else is a NULL literal when not written.
type Case struct {
	Whens []When
	Else  Expr
	T     types.Type
}

// InList is `X [NOT] IN (List…)` with SQL's NULL semantics: NULL if X is
// NULL, or if no element matches and some element is NULL.
type InList struct {
	X    Expr
	List []Expr
	Not  bool
}

// Subquery is an uncorrelated scalar subquery: Plan yields at most one row
// of one column; its value (NULL when empty) is computed once per query.
type Subquery struct {
	Plan Node
	T    types.Type
}

// Param is a `$n` placeholder that no value was bound to at plan time.
type Param struct {
	Index int
	T     types.Type
}

func (e *ColumnRef) Type() types.Type { return e.T }
func (e *Literal) Type() types.Type   { return e.T }
func (e *Call) Type() types.Type      { return e.T }
func (e *Cast) Type() types.Type      { return e.To }
func (e *Case) Type() types.Type      { return e.T }
func (e *InList) Type() types.Type    { return types.BooleanType }
func (e *Subquery) Type() types.Type  { return e.T }
func (e *Param) Type() types.Type     { return e.T }

func (*ColumnRef) exprNode() {}
func (*Literal) exprNode()   {}
func (*Call) exprNode()      {}
func (*Cast) exprNode()      {}
func (*Case) exprNode()      {}
func (*InList) exprNode()    {}
func (*Subquery) exprNode()  {}
func (*Param) exprNode()     {}

func (e *ColumnRef) String() string { return fmt.Sprintf("%s#%d", e.Name, e.ID) }

func (e *Literal) String() string { return FormatValue(e.Value, e.T) }

var infix = map[string]bool{"+": true, "-": true, "*": true, "/": true, "%": true, "=": true, "<>": true,
	"<": true, "<=": true, ">": true, ">=": true, "and": true, "or": true, "||": true, "like": true,
	"ilike": true, "->": true, "->>": true, "is_distinct_from": true, "is_not_distinct_from": true}

func (e *Call) String() string {
	if infix[e.Func] && len(e.Args) == 2 {
		op := e.Func
		switch op {
		case "and", "or", "like", "ilike":
			op = strings.ToUpper(op)
		case "is_distinct_from":
			op = "IS DISTINCT FROM"
		case "is_not_distinct_from":
			op = "IS NOT DISTINCT FROM"
		}
		return "(" + e.Args[0].String() + " " + op + " " + e.Args[1].String() + ")"
	}
	switch e.Func {
	case "neg":
		return "(-" + e.Args[0].String() + ")"
	case "not":
		return "(NOT " + e.Args[0].String() + ")"
	case "is_null":
		return "(" + e.Args[0].String() + " IS NULL)"
	case "is_not_null":
		return "(" + e.Args[0].String() + " IS NOT NULL)"
	}
	return e.Func + "(" + joinExprs(e.Args) + ")"
}

func (e *Cast) String() string {
	if e.Try {
		return "TRY_CAST(" + e.X.String() + " AS " + e.To.String() + ")"
	}
	return "CAST(" + e.X.String() + " AS " + e.To.String() + ")"
}

func (e *Case) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	for _, w := range e.Whens {
		b.WriteString(" WHEN " + w.Cond.String() + " THEN " + w.Result.String())
	}
	b.WriteString(" ELSE " + e.Else.String() + " END")
	return b.String()
}

func (e *InList) String() string {
	not := ""
	if e.Not {
		not = "NOT "
	}
	return "(" + e.X.String() + " " + not + "IN (" + joinExprs(e.List) + "))"
}

func (e *Subquery) String() string { return "(subquery)" }
func (e *Param) String() string    { return fmt.Sprintf("$%d", e.Index) }

func joinExprs(es []Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.String()
	}
	return strings.Join(parts, ", ")
}

// FormatValue renders a literal as SQL source text: strings quoted, temporal
// values as typed literals.
func FormatValue(v any, t types.Type) string {
	if v == nil {
		return "NULL"
	}
	s := types.FormatValue(v, t)
	switch t.Kind {
	case types.Varchar, types.JSON:
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	case types.Timestamp, types.Date, types.Interval:
		return t.String() + " '" + s + "'"
	}
	return s
}
