package physical

import (
	"context"
	"fmt"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/rank"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/rules"
	"github.com/streamsql/streamsql/planner/types"
)

// streamRank plans the ROW_NUMBER() patterns over a stream, a Filter on
// the row number over a RowNumber: top-N per window (PARTITION BY a
// window bound), deduplication (rn = 1 ordered by the event time, or
// unordered), and an updating top-N otherwise. ok is false when n is not
// such a pattern.
func (p *Planner) streamRank(ctx context.Context, f *logical.Filter) (*operators.Stage, bool, error) {
	rn, isRN := f.Input.(*logical.RowNumber)
	if !isRN {
		return nil, false, nil
	}
	limit := int64(-1)
	var rest []logical.Expr
	for _, c := range rules.Conjuncts(f.Pred) {
		if k, ok := rowLimit(c, rn.Col.ID); ok {
			if limit < 0 || k < limit {
				limit = k
			}
			continue
		}
		rest = append(rest, c)
	}
	if limit < 0 {
		return nil, true, fmt.Errorf("planning streaming query: ROW_NUMBER() over a stream must be filtered to its first rows (WHERE row_number = 1 or <= N)")
	}
	in, err := p.Build(ctx, rn.Input)
	if err != nil {
		return nil, true, err
	}
	if IsChangelog(in) {
		return nil, true, fmt.Errorf("planning streaming query: ROW_NUMBER() over an updating stream is not supported")
	}
	inCols := rn.Input.Schema()
	exprs := append([]logical.Expr{}, rn.Partition...)
	for _, k := range rn.Order {
		exprs = append(exprs, k.Expr)
	}
	st, cols, idx, err := p.withComputed(ctx, in, inCols, exprs)
	if err != nil {
		return nil, true, err
	}
	part := idx[:len(rn.Partition)]
	order := make([]operators.SortKey, len(rn.Order))
	for i, k := range rn.Order {
		order[i] = operators.SortKey{Col: idx[len(rn.Partition)+i], Desc: k.Desc, NullsFirst: k.NullsFirst}
	}
	times := eventTimes(rn.Input)
	bounds := windowBounds(rn.Input)
	var out *operators.Stage
	closeCol, closeOff := -1, int64(0)
	for i, e := range rn.Partition {
		if r, ok := e.(*logical.ColumnRef); ok {
			if b, ok := bounds[r.ID]; ok && (closeCol < 0 || b.end) {
				closeCol, closeOff = part[i], 0
				if !b.end {
					if b.w.Kind == logical.SessionWindow {
						continue // a session's end is not start + a constant
					}
					closeOff = b.w.Size
				}
			}
		}
	}
	switch {
	case closeCol >= 0 || limit > 1 || len(order) > 1:
		spec := rank.TopNSpec{Input: Schema(cols), PartitionCols: part, CloseCol: closeCol, CloseOffset: closeOff,
			Order: order, N: limit, RowNumber: true, RowNumberName: rn.Col.Name}
		op, err := rank.NewTopN(spec)
		if err != nil {
			return nil, true, err
		}
		out = unary("TopN per window", op, st)
		if closeCol < 0 {
			out.Name = "TopN (updating)"
		}
		if len(part) > 0 {
			out.KeyCols = [][]int{part}
			out.NewOp = func() (operators.Operator, error) { return rank.NewTopN(spec) }
		}
	default:
		spec := rank.DedupSpec{Input: Schema(cols), KeyCols: part, TimeCol: -1, Mode: rank.FirstArrival,
			TTL: p.stream.opts.DedupTTL, Now: p.stream.opts.Now}
		if len(order) == 1 {
			r, ok := rn.Order[0].Expr.(*logical.ColumnRef)
			if !ok || !times[r.ID] {
				return nil, true, fmt.Errorf("planning streaming query: deduplication over a stream orders by the event-time column (ORDER BY ts for the first row, ORDER BY ts DESC for the latest), not %s", userText(rn.Order[0].Expr))
			}
			spec.TimeCol, spec.Mode = order[0].Col, rank.Earliest
			if order[0].Desc {
				spec.Mode = rank.Latest
			}
		}
		op, err := rank.NewDedup(spec)
		if err != nil {
			return nil, true, err
		}
		out = unary("Dedup "+map[rank.DedupMode]string{rank.FirstArrival: "first arrival", rank.Earliest: "earliest", rank.Latest: "latest"}[spec.Mode], op, st)
		if len(part) > 0 {
			out.KeyCols = [][]int{part}
			out.NewOp = func() (operators.Operator, error) { return rank.NewDedup(spec) }
		}
	}
	// Map onto the RowNumber's columns (+ _op): the row number is the
	// operator's, or 1 for a dedup.
	schema := StageSchema(out)
	have := make([]logical.Column, schema.NumFields())
	for i, fl := range schema.Fields() {
		t, err := types.FromField(fl)
		if err != nil {
			return nil, true, err
		}
		p.hidden--
		have[i] = logical.Column{ID: p.hidden, Name: fl.Name, Type: t, Nullable: true}
	}
	ref := func(c logical.Column) logical.Expr { return &logical.ColumnRef{ID: c.ID, Name: c.Name, T: c.Type} }
	var outExprs []logical.Expr
	for i := range inCols {
		outExprs = append(outExprs, ref(have[i]))
	}
	if _, isTopN := out.Op.(*rank.TopN); isTopN {
		outExprs = append(outExprs, ref(have[len(cols)]))
	} else {
		outExprs = append(outExprs, &logical.Literal{Value: int64(1), T: types.BigintType})
	}
	outCols := rn.Schema()
	if IsChangelog(out) {
		outExprs = append(outExprs, ref(have[len(have)-1]))
		outCols = append(append([]logical.Column{}, outCols...), p.opCol())
	}
	res, err := p.project(ctx, "Project", out, have, outExprs, outCols)
	if err != nil {
		return nil, true, err
	}
	if len(rest) > 0 {
		pred, err := p.compile(ctx, rules.And(rest...), outCols)
		if err != nil {
			return nil, true, err
		}
		res = unary("Filter", operators.NewFilter(Schema(outCols), pred, p.Ctx), res)
	}
	return res, true, nil
}

// rowLimit reads rn = 1, rn <= N, rn < N (either way round) as the
// number of first rows kept.
func rowLimit(c logical.Expr, rn logical.ColumnID) (int64, bool) {
	call, ok := c.(*logical.Call)
	if !ok || len(call.Args) != 2 {
		return 0, false
	}
	op := call.Func
	a, b := call.Args[0], call.Args[1]
	if r, ok := b.(*logical.ColumnRef); ok && r.ID == rn {
		a, b = b, a
		op = map[string]string{"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
	}
	r, ok := a.(*logical.ColumnRef)
	lit, ok2 := b.(*logical.Literal)
	if !ok || !ok2 || r.ID != rn {
		return 0, false
	}
	var k int64
	switch v := lit.Value.(type) {
	case int64:
		k = v
	case int32:
		k = int64(v)
	default:
		return 0, false
	}
	switch op {
	case "=":
		if k == 1 {
			return 1, true
		}
	case "<=":
		if k >= 1 {
			return k, true
		}
	case "<":
		if k >= 2 {
			return k - 1, true
		}
	}
	return 0, false
}

// windowBounds maps the columns of n's output holding window bounds to
// their window: a window aggregate's window_start/window_end (also after a
// second GROUP BY on them), and the bounds table functions label rows with.
func windowBounds(n logical.Node) map[logical.ColumnID]windowDef {
	out := map[logical.ColumnID]windowDef{}
	switch n := n.(type) {
	case *logical.Aggregate:
		times := eventTimes(n.Input)
		in := windowBounds(n.Input)
		for i, g := range n.GroupBy {
			if w, end, ok := logical.AsWindow(g); ok {
				out[n.GroupCols[i].ID] = windowDef{w, end}
			} else if w, ok := truncWindow(g, times); ok {
				out[n.GroupCols[i].ID] = windowDef{w, false}
			} else if r, ok := g.(*logical.ColumnRef); ok {
				if d, ok := in[r.ID]; ok { // grouped again by an upstream window
					out[n.GroupCols[i].ID] = d
				}
			}
		}
	case *logical.Project:
		in := windowBounds(n.Input)
		for i, e := range n.Exprs {
			if r, ok := e.(*logical.ColumnRef); ok {
				if d, ok := in[r.ID]; ok {
					out[n.Cols[i].ID] = d
				}
			} else if w, end, ok := logical.AsWindow(e); ok {
				// The bounds a window table function labels rows with.
				out[n.Cols[i].ID] = windowDef{w, end}
			}
		}
	case *logical.Filter:
		return windowBounds(n.Input)
	}
	return out
}
