package bind

import (
	"strings"

	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/parse"
	"github.com/streamsql/streamsql/planner/types"
)

// windowFunc binds ROW_NUMBER() OVER (PARTITION BY … ORDER BY …) in a
// SELECT list: a RowNumber node evaluates it after GROUP BY and HAVING,
// and the expression reads its column.
func (b *binder) windowFunc(c *ectx, e *parse.FuncCall, name string) (logical.Expr, error) {
	if name != "row_number" {
		return nil, b.errf(e, "window function %s is not supported (only ROW_NUMBER() OVER (…))", strings.ToUpper(name))
	}
	if c.wins == nil {
		return nil, b.errf(e, "window functions are not allowed in %s", c.clause)
	}
	if c.inAgg {
		return nil, b.errf(e, "aggregate function calls cannot contain window function calls")
	}
	if len(e.Args) > 0 || e.Star || e.Distinct || e.Filter != nil {
		return nil, b.errf(e, "ROW_NUMBER takes no arguments")
	}
	rn := &logical.RowNumber{}
	inner := *c
	inner.wins = nil
	for _, p := range e.Over.PartitionBy {
		x, err := b.expr(&inner, p)
		if err != nil {
			return nil, err
		}
		rn.Partition = append(rn.Partition, x)
	}
	for _, o := range e.Over.OrderBy {
		x, err := b.expr(&inner, o.Expr)
		if err != nil {
			return nil, err
		}
		k := logical.SortKey{Expr: x, Desc: o.Desc, NullsFirst: o.Desc}
		if o.NullsFirst != nil {
			k.NullsFirst = *o.NullsFirst
		}
		rn.Order = append(rn.Order, k)
	}
	rn.Col = logical.Column{ID: b.gen.Next(), Name: "row_number", Type: types.BigintType}
	b.nullable[rn.Col.ID] = false
	if c.aggs != nil {
		c.aggs.ids[rn.Col.ID] = true // readable above the aggregate
	}
	*c.wins = append(*c.wins, rn)
	return colRef(rn.Col), nil
}

// windowNodes stacks the SELECT list's window functions over node (the
// result of FROM, WHERE, GROUP BY and HAVING), their keys mapped onto the
// groups when the block aggregates.
func (b *binder) windowNodes(node logical.Node, g *grouping, aggs *aggSet) (logical.Node, error) {
	wins := b.wins
	b.wins = nil
	for _, rn := range wins {
		if g != nil {
			for i, p := range rn.Partition {
				x, err := b.over(g, p)
				if err != nil {
					return nil, err
				}
				rn.Partition[i] = x
			}
			for i, k := range rn.Order {
				x, err := b.over(g, k.Expr)
				if err != nil {
					return nil, err
				}
				rn.Order[i].Expr = x
			}
		}
		rn.Input = node
		node = rn
	}
	return node, nil
}
