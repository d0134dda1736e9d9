package rules

import (
	"fmt"

	"github.com/streamsql/streamsql/planner/logical"
)

// EliminateProjects removes Projects that do nothing:
//
//   - an identity Project (each output is a reference to the input column
//     at the same position, with the same id, name and type) is replaced by
//     its input, anywhere, the root included (its schema is the same);
//   - a Project that only renames (references every input column in order,
//     same types, new ids) is removed and the references to its ids
//     elsewhere in the plan are rewritten to the input's ids;
//   - where the exact list of columns does not matter (the Project feeds an
//     Aggregate or another Project, possibly through Filter, Sort, Limit,
//     TopN or a join, and not through Distinct or Union), a Project whose
//     outputs are all plain column references (a subset, reordered or
//     renamed) is removed the same way.
//
// A Project whose ids are part of the root's schema is never removed
// unless it is an identity.
type EliminateProjects struct{}

// Name implements Rule.
func (EliminateProjects) Name() string { return "eliminate_projects" }

// Apply implements Rule.
func (EliminateProjects) Apply(n logical.Node, _ *Context) (logical.Node, bool, error) {
	e := &eliminator{rootIDs: idSet(n.Schema()), remap: map[logical.ColumnID]logical.Expr{}}
	out, err := e.visit(n, true)
	if err != nil {
		return n, false, err
	}
	if len(e.remap) > 0 {
		e.resolveChains()
		out, _, err = TransformUp(out, func(x logical.Node) (logical.Node, bool, error) {
			return MapExprs(x, func(x logical.Expr) (logical.Expr, error) { return substitute(x, e.remap), nil })
		})
		if err != nil {
			return n, false, err
		}
	}
	return changedResult(n, out)
}

type eliminator struct {
	rootIDs map[logical.ColumnID]bool
	remap   map[logical.ColumnID]logical.Expr
}

// resolveChains makes every remapped id point at its final target, in
// case a removed Project read the outputs of another removed one.
func (e *eliminator) resolveChains() {
	for id, to := range e.remap {
		for hops := 0; hops < len(e.remap); hops++ {
			next, ok := e.remap[to.(*logical.ColumnRef).ID]
			if !ok {
				break
			}
			to = next
		}
		e.remap[id] = to
	}
}

// visit rewrites n; exact says whether n's consumers depend on its exact
// column list (position or set), not only on the ids they reference.
func (e *eliminator) visit(n logical.Node, exact bool) (logical.Node, error) {
	kids := n.Children()
	if len(kids) > 0 {
		newKids := make([]logical.Node, len(kids))
		for i, k := range kids {
			ke := exact
			switch x := n.(type) {
			case *logical.Project, *logical.Aggregate:
				ke = false
			case *logical.Distinct, *logical.Union:
				ke = true
			case *logical.Join:
				if i == 1 && (x.Kind == logical.SemiJoin || x.Kind == logical.AntiJoin) {
					ke = false
				}
			}
			nk, err := e.visit(k, ke)
			if err != nil {
				return nil, err
			}
			newKids[i] = nk
		}
		m, err := n.WithChildren(newKids...)
		if err != nil {
			return nil, fmt.Errorf("eliminating projects: %w", err)
		}
		n = m
	}
	p, ok := n.(*logical.Project)
	if !ok {
		return n, nil
	}
	in := p.Input.Schema()
	if passThrough(p, in) && colsEqual(p.Cols, in) {
		return p.Input, nil
	}
	if !(passThrough(p, in) || !exact && onlyRefs(p, in)) {
		return n, nil
	}
	for _, c := range p.Cols {
		if e.rootIDs[c.ID] {
			return n, nil
		}
	}
	for i, c := range p.Cols {
		if r := p.Exprs[i].(*logical.ColumnRef); c.ID != r.ID {
			e.remap[c.ID] = r
		}
	}
	return p.Input, nil
}

// onlyRefs reports whether every output of p is a reference to one of its
// input columns, of the output's type.
func onlyRefs(p *logical.Project, in []logical.Column) bool {
	ids := idSet(in)
	if len(p.Exprs) != len(p.Cols) {
		return false
	}
	for i, x := range p.Exprs {
		r, ok := x.(*logical.ColumnRef)
		if !ok || !ids[r.ID] || r.T != p.Cols[i].Type {
			return false
		}
	}
	return true
}

// passThrough reports whether p outputs exactly its input's columns, in
// order, with their types.
func passThrough(p *logical.Project, in []logical.Column) bool {
	if len(p.Exprs) != len(in) || len(p.Cols) != len(in) {
		return false
	}
	for i, e := range p.Exprs {
		r, ok := e.(*logical.ColumnRef)
		if !ok || r.ID != in[i].ID || p.Cols[i].Type != in[i].Type {
			return false
		}
	}
	return true
}
