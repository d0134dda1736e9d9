package rules

import (
	"math"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

// flipped is the operator with its operands swapped: `5 < x` is `x > 5`.
var flipped = map[string]string{"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

// ScanPredicates converts the scan's pushed-down filters into the simple
// predicates storage can prune with: conjuncts `col op literal`, `literal
// op col` (the operator flipped), `col IS NULL` and `col IS NOT NULL`,
// where col is one of the scan's columns, op one of = <> < <= > >=, and
// the literal a non-NULL value of the column's type (an INTEGER column
// compared through a cast to BIGINT with a literal in INTEGER range also
// qualifies). Column is the table ordinal (Cols[i] ↔ Ordinals[i]). Other
// conjuncts are left out: predicates are pruning hints and the Filter
// above re-checks every row.
func ScanPredicates(s *logical.Scan) []catalog.Predicate {
	if s == nil {
		return nil
	}
	ords := make(map[logical.ColumnID]int, len(s.Cols))
	colTypes := make(map[logical.ColumnID]types.Type, len(s.Cols))
	for i, c := range s.Cols {
		if i < len(s.Ordinals) {
			ords[c.ID] = s.Ordinals[i]
			colTypes[c.ID] = c.Type
		}
	}
	var out []catalog.Predicate
	for _, f := range s.Filters {
		for _, c := range Conjuncts(f) {
			if p, ok := scanPredicate(c, ords, colTypes); ok {
				out = append(out, p)
			}
		}
	}
	return out
}

func scanPredicate(e logical.Expr, ords map[logical.ColumnID]int, colTypes map[logical.ColumnID]types.Type) (catalog.Predicate, bool) {
	call, ok := e.(*logical.Call)
	if !ok {
		return catalog.Predicate{}, false
	}
	switch call.Func {
	case "is_null", "is_not_null":
		if len(call.Args) != 1 {
			return catalog.Predicate{}, false
		}
		if ref, ok := call.Args[0].(*logical.ColumnRef); ok {
			if ord, ok := ords[ref.ID]; ok {
				return catalog.Predicate{Column: ord, Op: call.Func}, true
			}
		}
		return catalog.Predicate{}, false
	}
	op, isCmp := flipped[call.Func]
	if !isCmp || len(call.Args) != 2 {
		return catalog.Predicate{}, false
	}
	a, b := call.Args[0], call.Args[1]
	if lit, ok := a.(*logical.Literal); ok {
		if id, v, ok := columnValue(b, lit, colTypes); ok {
			return catalog.Predicate{Column: ords[id], Op: op, Value: v}, true
		}
		return catalog.Predicate{}, false
	}
	if lit, ok := b.(*logical.Literal); ok {
		if id, v, ok := columnValue(a, lit, colTypes); ok {
			return catalog.Predicate{Column: ords[id], Op: call.Func, Value: v}, true
		}
	}
	return catalog.Predicate{}, false
}

// columnValue matches the column side of a comparison with a literal and
// returns the column and the literal in the column's own Go form.
func columnValue(side logical.Expr, lit *logical.Literal, colTypes map[logical.ColumnID]types.Type) (logical.ColumnID, any, bool) {
	if lit.Value == nil {
		return 0, nil, false
	}
	switch x := side.(type) {
	case *logical.ColumnRef:
		t, ok := colTypes[x.ID]
		if !ok || t != lit.T || x.T != t {
			return 0, nil, false
		}
		return x.ID, lit.Value, true
	case *logical.Cast:
		ref, ok := x.X.(*logical.ColumnRef)
		if !ok || x.Try {
			return 0, nil, false
		}
		t, ok := colTypes[ref.ID]
		if !ok || t.Kind != types.Integer || x.To.Kind != types.Bigint || lit.T.Kind != types.Bigint {
			return 0, nil, false
		}
		v, ok := lit.Value.(int64)
		if !ok || v < math.MinInt32 || v > math.MaxInt32 {
			return 0, nil, false
		}
		return ref.ID, int32(v), true
	}
	return 0, nil, false
}
