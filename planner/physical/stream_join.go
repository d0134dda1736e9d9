package physical

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/rank"
	"github.com/streamsql/streamsql/operators/timejoin"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/rules"
	"github.com/streamsql/streamsql/planner/types"
)

// streamDistinct plans SELECT DISTINCT over a stream: the first arrival
// of each row is emitted, duplicates within the TTL dropped.
func (p *Planner) streamDistinct(ctx context.Context, n *logical.Distinct) (*operators.Stage, error) {
	in, err := p.Build(ctx, n.Input)
	if err != nil {
		return nil, err
	}
	if IsChangelog(in) {
		return nil, fmt.Errorf("planning streaming query: DISTINCT over an updating stream is not supported")
	}
	cols := n.Input.Schema()
	keys := make([]int, len(cols))
	timeCol := -1
	times := eventTimes(n.Input)
	for i, c := range cols {
		keys[i] = i
		if times[c.ID] && timeCol < 0 {
			timeCol = i
		}
	}
	spec := rank.DedupSpec{Input: Schema(cols), KeyCols: keys, TimeCol: timeCol, Mode: rank.FirstArrival,
		TTL: p.stream.opts.DedupTTL, Now: p.stream.opts.Now}
	op, err := rank.NewDedup(spec)
	if err != nil {
		return nil, err
	}
	st := unary("Dedup", op, in)
	st.KeyCols = [][]int{keys}
	st.NewOp = func() (operators.Operator, error) { return rank.NewDedup(spec) }
	return st, nil
}

// streamJoin plans a join over streams: with a bounded side a lookup
// (hash) join that loads the table first; of two streams an interval join
// (a time bound between the event times) or a window join (equal windows
// of table functions).
func (p *Planner) streamJoin(ctx context.Context, n *logical.Join) (*operators.Stage, error) {
	ls, rs := isStream(n.Left), isStream(n.Right)
	switch {
	case ls && !rs:
		return p.lookupJoin(ctx, n)
	case !ls && rs:
		if n.Kind != logical.InnerJoin && n.Kind != logical.CrossJoin {
			return nil, fmt.Errorf("planning streaming query: a %s join with the stream on the right is not supported; put the stream on the left", strings.ToUpper(n.Kind.String()))
		}
		// Swap so the bounded table is the build side, then restore the
		// column order.
		sw := &logical.Join{Kind: n.Kind, Left: n.Right, Right: n.Left, Cond: n.Cond}
		st, err := p.lookupJoin(ctx, sw)
		if err != nil {
			return nil, err
		}
		exprs := make([]logical.Expr, 0, len(n.Schema()))
		for _, c := range n.Schema() {
			exprs = append(exprs, &logical.ColumnRef{ID: c.ID, Name: c.Name, T: c.Type})
		}
		return p.project(ctx, "Project", st, sw.Schema(), exprs, n.Schema())
	}
	if n.Kind == logical.SemiJoin || n.Kind == logical.AntiJoin {
		return nil, fmt.Errorf("planning streaming query: IN/EXISTS subqueries over two streams are not supported")
	}
	left, err := p.Build(ctx, n.Left)
	if err != nil {
		return nil, err
	}
	right, err := p.Build(ctx, n.Right)
	if err != nil {
		return nil, err
	}
	if IsChangelog(left) || IsChangelog(right) {
		return nil, fmt.Errorf("planning streaming query: joining an updating stream is not supported")
	}
	lcols, rcols := n.Left.Schema(), n.Right.Schema()
	lkeys, rkeys, residual := splitEquiKeys(n.Cond, ids(lcols), ids(rcols))
	if wj, ok := p.windowJoinKeys(n, lkeys, rkeys); ok {
		return p.windowJoin(ctx, n, left, right, wj, residual)
	}
	return p.intervalJoin(ctx, n, left, right, lkeys, rkeys, residual)
}

// lookupJoin is the batch hash join with the bounded right side as its
// build input (input 0): exec loads it completely before the stream flows.
func (p *Planner) lookupJoin(ctx context.Context, n *logical.Join) (*operators.Stage, error) {
	left, err := p.Build(ctx, n.Left)
	if err != nil {
		return nil, err
	}
	if IsChangelog(left) {
		return nil, fmt.Errorf("planning streaming query: joining an updating stream is not supported")
	}
	st, err := p.joinBuilt(ctx, n, left)
	if err != nil {
		return nil, err
	}
	st.Name = "LookupJoin " + n.Kind.String()
	return st, nil
}

// windowJoinSpec holds the positions of two sides' window bounds.
type windowJoinSpec struct {
	lkeys, rkeys []logical.Expr // the equi keys besides the window bounds
	size         int64
	// lBound and rBound are the joined window_start (or, with end,
	// window_end) columns of each side's output.
	lBound, rBound logical.Expr
	end            bool
}

// windowJoinKeys finds window_start (or window_end) equalities between
// two windows of the same shape among the equi keys: of table functions
// or of window aggregates' results.
func (p *Planner) windowJoinKeys(n *logical.Join, lkeys, rkeys []logical.Expr) (windowJoinSpec, bool) {
	lw, rw := windowBounds(n.Left), windowBounds(n.Right)
	var out windowJoinSpec
	found := false
	for i := range lkeys {
		lr, ok1 := lkeys[i].(*logical.ColumnRef)
		rr, ok2 := rkeys[i].(*logical.ColumnRef)
		if ok1 && ok2 {
			a, aok := lw[lr.ID]
			b, bok := rw[rr.ID]
			// Tumbling or hopping windows of one length: a window is its
			// (start, end) pair, whichever side computed it.
			if aok && bok && a.w.Kind != logical.SessionWindow && a.w.Kind == b.w.Kind &&
				a.w.Size == b.w.Size && a.w.Slide == b.w.Slide && a.end == b.end {
				found = true
				out.size, out.lBound, out.rBound, out.end = a.w.Size, lr, rr, a.end
				continue
			}
		}
		out.lkeys = append(out.lkeys, lkeys[i])
		out.rkeys = append(out.rkeys, rkeys[i])
	}
	return out, found
}

type windowDef struct {
	w   logical.Window
	end bool
}

// windowJoin joins rows of equal tumbling windows when the window closes.
func (p *Planner) windowJoin(ctx context.Context, n *logical.Join, left, right *operators.Stage, wj windowJoinSpec, residual logical.Expr) (*operators.Stage, error) {
	size := &logical.Literal{Value: types.IntervalValue{Micros: wj.size}, T: types.IntervalType}
	// The bounds come from the joined column each side outputs (its time
	// column may not be among them).
	bounds := func(b logical.Expr) []logical.Expr {
		if wj.end {
			return []logical.Expr{&logical.Call{Func: "-", Args: []logical.Expr{b, size}, T: types.TimestampType}, b}
		}
		return []logical.Expr{b, &logical.Call{Func: "+", Args: []logical.Expr{b, size}, T: types.TimestampType}}
	}
	lcols, rcols := n.Left.Schema(), n.Right.Schema()
	lst, lall, lidx, err := p.withComputed(ctx, left, lcols, append(bounds(wj.lBound), wj.lkeys...))
	if err != nil {
		return nil, err
	}
	rst, rall, ridx, err := p.withComputed(ctx, right, rcols, append(bounds(wj.rBound), wj.rkeys...))
	if err != nil {
		return nil, err
	}
	kind := map[logical.JoinKind]timejoin.JoinType{logical.InnerJoin: timejoin.Inner, logical.CrossJoin: timejoin.Inner,
		logical.LeftJoin: timejoin.LeftOuter, logical.RightJoin: timejoin.RightOuter, logical.FullJoin: timejoin.FullOuter}[n.Kind]
	if residual != nil && kind != timejoin.Inner {
		return nil, fmt.Errorf("planning streaming query: an outer window join takes only equalities in ON")
	}
	spec := timejoin.WindowJoinSpec{Left: Schema(lall), Right: Schema(rall), LeftKeys: lidx[2:], RightKeys: ridx[2:],
		LeftStart: lidx[0], LeftEnd: lidx[1], RightStart: ridx[0], RightEnd: ridx[1], Type: kind}
	op, err := timejoin.NewWindowJoin(spec)
	if err != nil {
		return nil, err
	}
	st := &operators.Stage{Name: "WindowJoin " + n.Kind.String(), Op: op, Inputs: []*operators.Stage{lst, rst}}
	if len(spec.LeftKeys) > 0 {
		st.KeyCols = [][]int{spec.LeftKeys, spec.RightKeys}
		st.NewOp = func() (operators.Operator, error) { return timejoin.NewWindowJoin(spec) }
	}
	return p.joinOutput(ctx, n, st, lall, rall, residual)
}

// joinOutput applies a residual predicate to a join's output (left and
// right columns with their computed extras) and drops the extras.
func (p *Planner) joinOutput(ctx context.Context, n *logical.Join, st *operators.Stage, lall, rall []logical.Column, residual logical.Expr) (*operators.Stage, error) {
	joined := append(append([]logical.Column{}, lall...), rall...)
	if residual != nil {
		pred, err := p.compile(ctx, residual, joined)
		if err != nil {
			return nil, err
		}
		st = unary("Filter", operators.NewFilter(Schema(joined), pred, p.Ctx), st)
	}
	exprs := make([]logical.Expr, 0, len(n.Schema()))
	for _, c := range n.Schema() {
		exprs = append(exprs, &logical.ColumnRef{ID: c.ID, Name: c.Name, T: c.Type})
	}
	return p.project(ctx, "Project", st, joined, exprs, n.Schema())
}

// intervalJoin plans a.ts BETWEEN b.ts - x AND b.ts + y style joins.
func (p *Planner) intervalJoin(ctx context.Context, n *logical.Join, left, right *operators.Stage, lkeys, rkeys []logical.Expr, residual logical.Expr) (*operators.Stage, error) {
	lcols, rcols := n.Left.Schema(), n.Right.Schema()
	lt, rt := eventTimes(n.Left), eventTimes(n.Right)
	lower, upper := int64(math.MinInt64), int64(math.MaxInt64)
	var lTime, rTime logical.ColumnID
	var rest []logical.Expr
	for _, c := range rules.Conjuncts(residual) {
		lo, hi, li, ri, ok := timeBound(c, lt, rt)
		if !ok || (lTime != 0 && (li != lTime || ri != rTime)) {
			rest = append(rest, c)
			continue
		}
		lTime, rTime = li, ri
		lower, upper = max(lower, lo), min(upper, hi)
	}
	if lower == math.MinInt64 || upper == math.MaxInt64 {
		// Without a two-sided bound an inner join keeps all its state; any
		// one-sided bound stays a filter on its output (Nexmark q4's
		// B.date_time BETWEEN A.date_time AND A.expires).
		if n.Kind == logical.InnerJoin || n.Kind == logical.CrossJoin {
			return p.unboundedJoin(ctx, n, left, right, lkeys, rkeys, rules.Conjuncts(residual))
		}
		return nil, fmt.Errorf("planning streaming query: a %s join of two streams needs a time bound on both sides, e.g. ON a.k = b.k AND a.ts BETWEEN b.ts - INTERVAL '5' MINUTE AND b.ts + INTERVAL '5' MINUTE (over the event-time columns), or equal windows of FROM TUMBLE(…)", strings.ToUpper(n.Kind.String()))
	}
	if n.Kind != logical.InnerJoin && n.Kind != logical.LeftJoin && n.Kind != logical.CrossJoin {
		return nil, fmt.Errorf("planning streaming query: an interval join is INNER or LEFT, not %s", strings.ToUpper(n.Kind.String()))
	}
	if len(rest) > 0 && n.Kind == logical.LeftJoin {
		return nil, fmt.Errorf("planning streaming query: a LEFT interval join takes only equalities and the time bound in ON")
	}
	tref := func(id logical.ColumnID, cols []logical.Column) logical.Expr {
		for _, c := range cols {
			if c.ID == id {
				return &logical.ColumnRef{ID: c.ID, Name: c.Name, T: c.Type}
			}
		}
		return nil
	}
	lst, lall, lidx, err := p.withComputed(ctx, left, lcols, append([]logical.Expr{tref(lTime, lcols)}, lkeys...))
	if err != nil {
		return nil, err
	}
	rst, rall, ridx, err := p.withComputed(ctx, right, rcols, append([]logical.Expr{tref(rTime, rcols)}, rkeys...))
	if err != nil {
		return nil, err
	}
	spec := timejoin.IntervalSpec{Left: Schema(lall), Right: Schema(rall), LeftKeys: lidx[1:], RightKeys: ridx[1:],
		LeftTime: lidx[0], RightTime: ridx[0], Lower: lower, Upper: upper, LeftOuter: n.Kind == logical.LeftJoin}
	op, err := timejoin.NewIntervalJoin(spec)
	if err != nil {
		return nil, err
	}
	st := &operators.Stage{Name: "IntervalJoin " + n.Kind.String(), Op: op, Inputs: []*operators.Stage{lst, rst}}
	if len(spec.LeftKeys) > 0 {
		st.KeyCols = [][]int{spec.LeftKeys, spec.RightKeys}
		st.NewOp = func() (operators.Operator, error) { return timejoin.NewIntervalJoin(spec) }
	}
	return p.joinOutput(ctx, n, st, lall, rall, rules.And(rest...))
}

// unboundedJoin is an inner join of two streams without a time bound
// (Nexmark q3): every row is kept for the life of the job (bounded by
// --max-state-bytes) and joins whatever arrives on the other side, so the
// output is append-only and nothing is ever late.
func (p *Planner) unboundedJoin(ctx context.Context, n *logical.Join, left, right *operators.Stage, lkeys, rkeys, rest []logical.Expr) (*operators.Stage, error) {
	lcols, rcols := n.Left.Schema(), n.Right.Schema()
	lst, lall, lidx, err := p.withComputed(ctx, left, lcols, lkeys)
	if err != nil {
		return nil, err
	}
	rst, rall, ridx, err := p.withComputed(ctx, right, rcols, rkeys)
	if err != nil {
		return nil, err
	}
	spec := timejoin.IntervalSpec{Left: Schema(lall), Right: Schema(rall), LeftKeys: lidx, RightKeys: ridx,
		LeftTime: -1, RightTime: -1, Unbounded: true}
	op, err := timejoin.NewIntervalJoin(spec)
	if err != nil {
		return nil, err
	}
	st := &operators.Stage{Name: "Join Inner (unbounded state)", Op: op, Inputs: []*operators.Stage{lst, rst}}
	if len(spec.LeftKeys) > 0 {
		st.KeyCols = [][]int{spec.LeftKeys, spec.RightKeys}
		st.NewOp = func() (operators.Operator, error) { return timejoin.NewIntervalJoin(spec) }
	}
	return p.joinOutput(ctx, n, st, lall, rall, rules.And(rest...))
}

// timeBound reads a conjunct comparing the two sides' event times,
// l.ts - r.ts (op) k, as bounds on l.ts - r.ts in µs.
func timeBound(c logical.Expr, lt, rt map[logical.ColumnID]bool) (lo, hi int64, li, ri logical.ColumnID, ok bool) {
	call, isCall := c.(*logical.Call)
	if !isCall || len(call.Args) != 2 {
		return 0, 0, 0, 0, false
	}
	aID, aOff, ok1 := timeTerm(call.Args[0])
	bID, bOff, ok2 := timeTerm(call.Args[1])
	if !ok1 || !ok2 {
		return 0, 0, 0, 0, false
	}
	op := call.Func
	// Normalise to l.ts - r.ts op k.
	switch {
	case lt[aID] && rt[bID]:
		li, ri = aID, bID
	case rt[aID] && lt[bID]:
		li, ri = bID, aID
		aOff, bOff = bOff, aOff
		op = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}[op]
	default:
		return 0, 0, 0, 0, false
	}
	k := bOff - aOff
	lo, hi = math.MinInt64, math.MaxInt64
	switch op {
	case ">=":
		lo = k
	case ">":
		lo = k + 1
	case "<=":
		hi = k
	case "<":
		hi = k - 1
	case "=":
		lo, hi = k, k
	default:
		return 0, 0, 0, 0, false
	}
	return lo, hi, li, ri, true
}

// timeTerm reads col, col + interval or col - interval.
func timeTerm(e logical.Expr) (logical.ColumnID, int64, bool) {
	switch x := e.(type) {
	case *logical.ColumnRef:
		return x.ID, 0, x.T == types.TimestampType
	case *logical.Call:
		if (x.Func != "+" && x.Func != "-") || len(x.Args) != 2 {
			return 0, 0, false
		}
		id, off, ok := timeTerm(x.Args[0])
		lit, isLit := x.Args[1].(*logical.Literal)
		if !ok || !isLit {
			return 0, 0, false
		}
		iv, isIV := lit.Value.(types.IntervalValue)
		if !isIV || iv.Months != 0 {
			return 0, 0, false
		}
		d := int64(iv.Days)*86_400_000_000 + iv.Micros
		if x.Func == "-" {
			d = -d
		}
		return id, off + d, true
	}
	return 0, 0, false
}
