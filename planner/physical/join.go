package physical

import (
	"context"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/rules"
)

var joinKinds = map[logical.JoinKind]operators.JoinKind{
	logical.InnerJoin: operators.JoinInner, logical.LeftJoin: operators.JoinLeft,
	logical.RightJoin: operators.JoinRight, logical.FullJoin: operators.JoinFull,
	logical.CrossJoin: operators.JoinInner, logical.SemiJoin: operators.JoinSemi,
	logical.AntiJoin: operators.JoinAnti,
}

// join plans a hash join on the equalities of the condition that compare
// one side with the other, the rest becoming a residual predicate; with no
// such equality it falls back to a nested-loop join.
func (p *Planner) join(ctx context.Context, n *logical.Join) (*operators.Stage, error) {
	left, err := p.Build(ctx, n.Left)
	if err != nil {
		return nil, err
	}
	return p.joinBuilt(ctx, n, left)
}

// joinBuilt is join with the left side already planned.
func (p *Planner) joinBuilt(ctx context.Context, n *logical.Join, left *operators.Stage) (*operators.Stage, error) {
	right, err := p.Build(ctx, n.Right)
	if err != nil {
		return nil, err
	}
	lcols, rcols := n.Left.Schema(), n.Right.Schema()
	lkeys, rkeys, residual := splitEquiKeys(n.Cond, ids(lcols), ids(rcols))
	semi := n.Kind == logical.SemiJoin || n.Kind == logical.AntiJoin

	if len(lkeys) == 0 {
		var cond = residual
		joined := append(append([]logical.Column{}, lcols...), rcols...)
		spec := operators.NestedLoopJoinSpec{Kind: joinKinds[n.Kind], Build: Schema(rcols), Probe: Schema(lcols),
			OutSchema: Schema(n.Schema()), NullAware: n.NullAware, Ctx: p.Ctx}
		if cond != nil {
			if spec.Cond, err = p.compile(ctx, cond, joined); err != nil {
				return nil, err
			}
		}
		op, err := operators.NewNestedLoopJoin(spec)
		if err != nil {
			return nil, err
		}
		return &operators.Stage{Name: "NestedLoopJoin " + n.Kind.String(), Op: op, Inputs: []*operators.Stage{right, left}}, nil
	}

	left, lall, lidx, err := p.withComputed(ctx, left, lcols, lkeys)
	if err != nil {
		return nil, err
	}
	right, rall, ridx, err := p.withComputed(ctx, right, rcols, rkeys)
	if err != nil {
		return nil, err
	}
	joined := append(append([]logical.Column{}, lall...), rall...)
	out := joined
	if semi {
		out = lall
	}
	spec := operators.HashJoinSpec{Kind: joinKinds[n.Kind], Build: Schema(rall), Probe: Schema(lall),
		BuildKeys: ridx, ProbeKeys: lidx, NullAware: n.NullAware, OutSchema: Schema(out), Ctx: p.Ctx}
	if residual != nil {
		if spec.Residual, err = p.compile(ctx, residual, joined); err != nil {
			return nil, err
		}
	}
	op, err := operators.NewHashJoin(spec)
	if err != nil {
		return nil, err
	}
	st := &operators.Stage{Name: "HashJoin " + n.Kind.String(), Op: op, Inputs: []*operators.Stage{right, left}}
	if len(out) == len(n.Schema()) {
		return st, nil
	}
	// Drop the computed key columns again.
	want := n.Schema()
	exprs := make([]logical.Expr, len(want))
	for i, c := range want {
		exprs[i] = &logical.ColumnRef{ID: c.ID, Name: c.Name, T: c.Type}
	}
	return p.project(ctx, "Project", st, out, exprs, want)
}

func ids(cols []logical.Column) map[logical.ColumnID]bool {
	m := make(map[logical.ColumnID]bool, len(cols))
	for _, c := range cols {
		m[c.ID] = true
	}
	return m
}

func subset(refs, of map[logical.ColumnID]bool) bool {
	if len(refs) == 0 {
		return false
	}
	for id := range refs {
		if !of[id] {
			return false
		}
	}
	return true
}

// splitEquiKeys finds conjuncts `l = r` with l over the left columns and r
// over the right (or the reverse) whose sides have the same type.
func splitEquiKeys(cond logical.Expr, left, right map[logical.ColumnID]bool) (lkeys, rkeys []logical.Expr, residual logical.Expr) {
	if cond == nil {
		return nil, nil, nil
	}
	var rest []logical.Expr
	for _, c := range rules.Conjuncts(cond) {
		call, ok := c.(*logical.Call)
		if ok && call.Func == "=" && len(call.Args) == 2 && call.Args[0].Type() == call.Args[1].Type() {
			a, b := call.Args[0], call.Args[1]
			ra, rb := rules.ReferencedColumns(a), rules.ReferencedColumns(b)
			switch {
			case subset(ra, left) && subset(rb, right):
				lkeys, rkeys = append(lkeys, a), append(rkeys, b)
				continue
			case subset(ra, right) && subset(rb, left):
				lkeys, rkeys = append(lkeys, b), append(rkeys, a)
				continue
			}
		}
		rest = append(rest, c)
	}
	if len(rest) > 0 {
		residual = rules.And(rest...)
	}
	return lkeys, rkeys, residual
}
