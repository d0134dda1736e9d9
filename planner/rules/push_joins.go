package rules

import (
	"github.com/streamsql/streamsql/planner/logical"
)

// pushJoin places the predicates above a join and the join's own ON
// conjuncts:
//
//   - an outer join first becomes inner (Left/Right) or one-sided (Full)
//     when a predicate above rejects NULLs on the side the join pads;
//   - Inner/Cross: conjuncts over one side (or none) go to that side (the
//     left for none), those over both become the condition; a Cross join
//     that gains a condition becomes Inner, an Inner join left without one
//     becomes Cross;
//   - Left: predicates above over the left side go left, ON conjuncts over
//     the right side (or none) go right; Right is the mirror image; Full
//     moves nothing;
//   - Semi/Anti: predicates above (over the left, the only side visible)
//     go left; ON conjuncts over the right (or none) go right, and for Semi
//     ON conjuncts over the left go left. A null-aware join keeps its
//     condition whole.
func pushJoin(x *logical.Join, preds []logical.Expr) (logical.Node, error) {
	L, R := idSet(x.Left.Schema()), idSet(x.Right.Schema())
	kind := outerToInner(x.Kind, preds, L, R)
	on := Conjuncts(x.Cond)
	var left, right, above, cond []logical.Expr
	refs := func(e logical.Expr) map[logical.ColumnID]bool { return ReferencedColumns(e) }

	switch kind {
	case logical.InnerJoin, logical.CrossJoin:
		for i, p := range append(append([]logical.Expr{}, preds...), on...) {
			r := refs(p)
			switch {
			case !IsDeterministic(p) && i < len(preds):
				above = append(above, p)
			case !IsDeterministic(p):
				cond = append(cond, p)
			case subsetOf(r, L):
				left = append(left, p)
			case subsetOf(r, R):
				right = append(right, p)
			default:
				cond = append(cond, p)
			}
		}
		kind = logical.InnerJoin
		if len(cond) == 0 {
			kind = logical.CrossJoin
		}
	case logical.LeftJoin, logical.RightJoin:
		keptSide, padSide := L, R
		if kind == logical.RightJoin {
			keptSide, padSide = R, L
		}
		var toKept, toPad []logical.Expr
		for _, p := range preds {
			if IsDeterministic(p) && subsetOf(refs(p), keptSide) {
				toKept = append(toKept, p)
			} else {
				above = append(above, p)
			}
		}
		for _, c := range on {
			if IsDeterministic(c) && subsetOf(refs(c), padSide) {
				toPad = append(toPad, c)
			} else {
				cond = append(cond, c)
			}
		}
		if kind == logical.LeftJoin {
			left, right = toKept, toPad
		} else {
			left, right = toPad, toKept
		}
	case logical.SemiJoin, logical.AntiJoin:
		for _, p := range preds {
			if IsDeterministic(p) && subsetOf(refs(p), L) {
				left = append(left, p)
			} else {
				above = append(above, p)
			}
		}
		for _, c := range on {
			r := refs(c)
			switch {
			case x.NullAware || !IsDeterministic(c):
				cond = append(cond, c)
			case subsetOf(r, R):
				right = append(right, c)
			case kind == logical.SemiJoin && subsetOf(r, L):
				left = append(left, c)
			default:
				cond = append(cond, c)
			}
		}
	default: // Full
		above, cond = preds, on
	}

	nl, err := pushDown(x.Left, left)
	if err != nil {
		return nil, err
	}
	nr, err := pushDown(x.Right, right)
	if err != nil {
		return nil, err
	}
	j := &logical.Join{Left: nl, Right: nr, Kind: kind, Cond: And(cond...), NullAware: x.NullAware}
	return wrapFilter(j, above), nil
}

// outerToInner simplifies an outer join under predicates that reject the
// NULL-padded rows it would add.
func outerToInner(kind logical.JoinKind, preds []logical.Expr, L, R map[logical.ColumnID]bool) logical.JoinKind {
	var rejL, rejR bool
	for _, p := range preds {
		if !IsDeterministic(p) {
			continue
		}
		rejL = rejL || rejectsNulls(p, L)
		rejR = rejR || rejectsNulls(p, R)
	}
	switch kind {
	case logical.LeftJoin:
		if rejR {
			return logical.InnerJoin
		}
	case logical.RightJoin:
		if rejL {
			return logical.InnerJoin
		}
	case logical.FullJoin:
		switch {
		case rejL && rejR:
			return logical.InnerJoin
		case rejL: // the rows padded on the left (unmatched right rows) are gone
			return logical.LeftJoin
		case rejR:
			return logical.RightJoin
		}
	}
	return kind
}

// rejectsNulls reports whether p is never TRUE on a row whose columns in
// side are all NULL.
func rejectsNulls(p logical.Expr, side map[logical.ColumnID]bool) bool {
	switch x := p.(type) {
	case *logical.Call:
		switch x.Func {
		case "=", "<>", "<", "<=", ">", ">=", "like", "ilike":
			for _, a := range x.Args {
				if strictOver(a, side) {
					return true
				}
			}
		case "is_not_null":
			return len(x.Args) == 1 && strictOver(x.Args[0], side)
		case "and":
			for _, a := range x.Args {
				if rejectsNulls(a, side) {
					return true
				}
			}
		case "or":
			for _, a := range x.Args {
				if !rejectsNulls(a, side) {
					return false
				}
			}
			return len(x.Args) > 0
		}
	case *logical.InList:
		return strictOver(x.X, side)
	}
	return false
}

// strictOver reports whether e is NULL whenever the columns in side are.
func strictOver(e logical.Expr, side map[logical.ColumnID]bool) bool {
	switch x := e.(type) {
	case *logical.ColumnRef:
		return side[x.ID]
	case *logical.Cast:
		return strictOver(x.X, side)
	case *logical.Call:
		switch x.Func {
		case "+", "-", "*", "/", "%", "neg", "||":
			for _, a := range x.Args {
				if strictOver(a, side) {
					return true
				}
			}
		}
	}
	return false
}
