package parse

import (
	"fmt"
	"strconv"
)

// expr prints e, wrapping operator expressions in parentheses so that
// precedence never has to be reconstructed by the reader (or the parser).
func (f *formatter) expr(e Expr) { f.exprP(e, true) }

// bare prints e without outer parentheses, for positions that are
// delimited anyway: select items, WHERE, function arguments, list elements.
func (f *formatter) bare(e Expr) { f.exprP(e, false) }

func (f *formatter) exprList(list []Expr) {
	for i, e := range list {
		if i > 0 {
			f.WriteString(", ")
		}
		f.bare(e)
	}
}

func (f *formatter) open(paren bool) {
	if paren {
		f.WriteByte('(')
	}
}

func (f *formatter) close(paren bool) {
	if paren {
		f.WriteByte(')')
	}
}

func (f *formatter) exprP(e Expr, paren bool) {
	switch x := e.(type) {
	case *Ident:
		f.name(x.Parts)
	case *Literal:
		switch x.Kind {
		case NumberLit:
			f.WriteString(x.Raw)
		case StringLit:
			f.str(x.Raw)
		case BoolLit:
			if x.Raw == "true" {
				f.WriteString("TRUE")
			} else {
				f.WriteString("FALSE")
			}
		default:
			f.WriteString("NULL")
		}
	case *IntervalLit:
		f.WriteString("INTERVAL ")
		f.str(x.Value)
		if x.Unit != "" {
			f.WriteString(" " + x.Unit)
			if x.ToUnit != "" {
				f.WriteString(" TO " + x.ToUnit)
			}
		}
	case *TypedLit:
		f.WriteString(x.TypeName + " ")
		f.str(x.Value)
	case *Param:
		f.WriteString("$" + strconv.Itoa(x.Index))
	case *Unary:
		f.open(paren)
		f.WriteString(x.Op)
		if x.Op == "NOT" {
			f.WriteByte(' ')
		}
		f.expr(x.X)
		f.close(paren)
	case *Binary:
		f.open(paren)
		f.expr(x.L)
		f.WriteString(" " + x.Op + " ")
		f.expr(x.R)
		f.close(paren)
	case *FuncCall:
		f.funcCall(x)
	case *Cast:
		if x.Try {
			f.WriteString("TRY_CAST(")
		} else {
			f.WriteString("CAST(")
		}
		f.bare(x.X)
		f.WriteString(" AS " + x.TypeName + ")")
	case *Case:
		f.WriteString("CASE ")
		if x.Operand != nil {
			f.bare(x.Operand)
			f.WriteByte(' ')
		}
		for _, w := range x.Whens {
			f.WriteString("WHEN ")
			f.bare(w.Cond)
			f.WriteString(" THEN ")
			f.bare(w.Result)
			f.WriteByte(' ')
		}
		if x.Else != nil {
			f.WriteString("ELSE ")
			f.bare(x.Else)
			f.WriteByte(' ')
		}
		f.WriteString("END")
	case *InList:
		f.open(paren)
		f.expr(x.X)
		f.not(x.Not)
		f.WriteString("IN (")
		f.exprList(x.List)
		f.WriteByte(')')
		f.close(paren)
	case *InSubquery:
		f.open(paren)
		f.expr(x.X)
		f.not(x.Not)
		f.WriteString("IN (")
		f.query(x.Query)
		f.WriteByte(')')
		f.close(paren)
	case *Exists:
		paren = paren && x.Not
		f.open(paren)
		if x.Not {
			f.WriteString("NOT ")
		}
		f.WriteString("EXISTS (")
		f.query(x.Query)
		f.WriteByte(')')
		f.close(paren)
	case *ScalarSubquery:
		f.WriteByte('(')
		f.query(x.Query)
		f.WriteByte(')')
	case *Between:
		f.open(paren)
		f.expr(x.X)
		f.not(x.Not)
		f.WriteString("BETWEEN ")
		f.expr(x.Lo)
		f.WriteString(" AND ")
		f.expr(x.Hi)
		f.close(paren)
	case *Like:
		f.open(paren)
		f.expr(x.X)
		f.not(x.Not)
		if x.CaseInsensitive {
			f.WriteString("ILIKE ")
		} else {
			f.WriteString("LIKE ")
		}
		f.expr(x.Pattern)
		if x.Escape != nil {
			f.WriteString(" ESCAPE ")
			f.expr(x.Escape)
		}
		f.close(paren)
	case *Is:
		f.open(paren)
		f.expr(x.X)
		f.WriteString(" IS ")
		if x.Not {
			f.WriteString("NOT ")
		}
		if x.What == "DISTINCT" {
			f.WriteString("DISTINCT FROM ")
			f.expr(x.Y)
		} else {
			f.WriteString(x.What)
		}
		f.close(paren)
	case *Extract:
		f.WriteString("EXTRACT(")
		if isFieldWord(x.Field) {
			f.WriteString(x.Field)
		} else {
			f.str(x.Field)
		}
		f.WriteString(" FROM ")
		f.bare(x.X)
		f.WriteByte(')')
	default:
		fmt.Fprintf(f, "<%T>", e)
	}
}

func (f *formatter) not(not bool) {
	if not {
		f.WriteString(" NOT ")
	} else {
		f.WriteByte(' ')
	}
}

// isFieldWord reports whether an EXTRACT field can be printed as a bare
// word (it is upper case, so any keyword reads back the same).
func isFieldWord(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}

// funcName prints a function name, quoting it when a bare word would be
// read as something else (a reserved word, or a name with its own
// argument syntax such as EXTRACT).
func (f *formatter) funcName(name string) {
	switch {
	case callableReserved[name]:
		f.WriteString(name)
	case specialCalls[name]:
		f.WriteString(`"` + name + `"`)
	default:
		f.ident(name)
	}
}

func (f *formatter) funcCall(x *FuncCall) {
	plain := !x.Star && !x.Distinct && x.Filter == nil && x.Over == nil
	switch {
	case plain && len(x.Args) == 0 && x.Name == "current_date":
		f.WriteString("CURRENT_DATE")
		return
	case x.Name == "position":
		f.WriteString(`"position"`) // a bare position( expects the IN form
		f.callArgs(x)
	default:
		f.funcName(x.Name)
		f.callArgs(x)
	}
	if x.Filter != nil {
		f.WriteString(" FILTER (WHERE ")
		f.bare(x.Filter)
		f.WriteByte(')')
	}
	if x.Over != nil {
		f.WriteByte(' ')
		f.windowSpec(x.Over)
	}
}

func (f *formatter) callArgs(x *FuncCall) {
	f.WriteByte('(')
	if x.Star {
		f.WriteByte('*')
	} else {
		if x.Distinct {
			f.WriteString("DISTINCT ")
		}
		f.exprList(x.Args)
	}
	f.WriteByte(')')
}

func (f *formatter) windowSpec(w *WindowSpec) {
	f.WriteString("OVER (")
	if len(w.PartitionBy) > 0 {
		f.WriteString("PARTITION BY ")
		f.exprList(w.PartitionBy)
		if len(w.OrderBy) > 0 {
			f.WriteByte(' ')
		}
	}
	if len(w.OrderBy) > 0 {
		f.WriteString("ORDER BY ")
		f.orderList(w.OrderBy)
	}
	f.WriteByte(')')
}
