package physical

import (
	"context"
	"fmt"
	"regexp"
	"sync"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/window"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

// windowKey says what a group key of a streaming aggregate is.
type windowKey int

const (
	plainKey windowKey = iota
	startKey
	endKey
)

// streamAggregate plans GROUP BY over a stream: with window keys (window
// table functions, GROUP BY TUMBLE/HOP/SESSION, DATE_TRUNC or date_bin of
// the event time) a window aggregate closed by watermarks; without, an
// updating changelog of the groups.
func (p *Planner) streamAggregate(ctx context.Context, n *logical.Aggregate) (*operators.Stage, error) {
	in, err := p.Build(ctx, n.Input)
	if err != nil {
		return nil, err
	}
	// Over an updating stream (an unwindowed aggregate's changelog, Nexmark
	// q4) only an unwindowed aggregate applies: deletes retract.
	changelog := IsChangelog(in)
	inCols := p.withOp(in, n.Input.Schema())
	times := eventTimes(n.Input)
	var win *logical.Window
	kinds := make([]windowKey, len(n.GroupBy))
	for i, g := range n.GroupBy {
		w, end, ok := logical.AsWindow(g)
		if !ok {
			w, ok = truncWindow(g, times)
		}
		if !ok {
			continue
		}
		if win != nil && !win.Same(w) {
			return nil, fmt.Errorf("planning streaming query: one GROUP BY can hold only one window")
		}
		win = &w
		kinds[i] = startKey
		if end {
			kinds[i] = endKey
		}
	}
	var exprs []logical.Expr
	if win != nil {
		ref, ok := win.Time.(*logical.ColumnRef)
		if !ok || !times[ref.ID] {
			return nil, fmt.Errorf("planning streaming query: windows must be over the stream's event-time column (declare it with WATERMARK FOR or --event-time), not %s", userText(win.Time))
		}
		exprs = append(exprs, win.Time)
	}
	// A GROUP BY on the window bounds of an upstream window aggregate
	// (Nexmark q5's max per window) groups each upstream window's rows,
	// which all arrive when the watermark reaches that window's end: a
	// one-µs tumbling window ending there, [end-1µs, end), closes in the
	// same step, before the watermark moves on downstream (where a window
	// join closes that window too).
	var cascade logical.Expr
	if win == nil {
		var err error
		if cascade, err = cascadeEnd(n, windowBounds(n.Input)); err != nil {
			return nil, err
		}
		if cascade != nil {
			exprs = append(exprs, cascade)
		}
	}
	var plain []int // group key indexes that are ordinary keys
	for i, g := range n.GroupBy {
		if kinds[i] == plainKey {
			plain = append(plain, i)
			exprs = append(exprs, g)
		}
	}
	nArgs := len(exprs)
	for _, a := range n.Aggs {
		exprs = append(exprs, a.Args...)
		if a.Filter != nil {
			exprs = append(exprs, a.Filter)
		}
	}
	if changelog && (win != nil || cascade != nil) {
		return nil, fmt.Errorf("planning streaming query: windowing an updating stream (the output of EMIT CHANGES or of an unwindowed aggregate) is not supported")
	}
	st, _, idx, err := p.withComputed(ctx, in, inCols, exprs)
	if err != nil {
		return nil, err
	}
	spec := window.Spec{Input: Schema(colsOf(st, p)), TimeCol: -1, AllowedLateness: p.stream.opts.AllowedLateness,
		EmitEvery: p.stream.opts.Every, Now: p.stream.opts.Now, OpCol: -1}
	if changelog {
		spec.OpCol = len(n.Input.Schema()) // withOp put _op after the input's columns
	}
	o := 0
	if win != nil {
		spec.TimeCol = idx[0]
		o = 1
		spec.Size, spec.Slide, spec.Gap, spec.Offset = win.Size, win.Slide, win.Gap, win.Offset
		spec.Kind = map[logical.WindowKind]window.Kind{logical.TumbleWindow: window.Tumble, logical.HopWindow: window.Hop, logical.SessionWindow: window.Session}[win.Kind]
		if p.stream.opts.Changes {
			spec.Emit = window.Changes
		}
	} else if cascade != nil {
		spec.TimeCol, spec.Kind, spec.Size = idx[0], window.Tumble, 1
		o = 1
		if p.stream.opts.Changes {
			spec.Emit = window.Changes
		}
	} else {
		spec.Kind, spec.Emit = window.Global, window.Changes
	}
	for j, i := range plain {
		spec.GroupCols = append(spec.GroupCols, idx[o+j])
		spec.GroupNames = append(spec.GroupNames, n.GroupCols[i].Name)
	}
	next := nArgs
	for i, a := range n.Aggs {
		as := operators.AggSpec{Func: a.Func, Distinct: a.Distinct, Filter: -1, Name: n.AggCols[i].Name}
		as.Args = idx[next : next+len(a.Args)]
		next += len(a.Args)
		if a.Filter != nil {
			as.Filter = idx[next]
			next++
		}
		spec.Aggs = append(spec.Aggs, as)
	}
	op, err := window.NewAggregate(spec)
	if err != nil {
		return nil, err
	}
	agg := &operators.Stage{Name: "WindowAggregate " + spec.Kind.String(), Op: op, Inputs: []*operators.Stage{st}}
	if cascade != nil {
		agg.Name = "WindowAggregate per upstream window"
	}
	if len(spec.GroupCols) > 0 {
		agg.KeyCols = [][]int{spec.GroupCols}
		agg.NewOp = func() (operators.Operator, error) { return window.NewAggregate(spec) }
	}
	// Map the operator's output (window_start, window_end, keys, aggregates
	// [, _op]) onto the logical columns (keys in GROUP BY order, then
	// aggregates).
	outSchema := op.Schema()
	have := make([]logical.Column, outSchema.NumFields())
	for i, f := range outSchema.Fields() {
		t, err := types.FromField(f)
		if err != nil {
			return nil, err
		}
		p.hidden--
		have[i] = logical.Column{ID: p.hidden, Name: f.Name, Type: t, Nullable: true}
	}
	ref := func(c logical.Column) logical.Expr { return &logical.ColumnRef{ID: c.ID, Name: c.Name, T: c.Type} }
	var outExprs []logical.Expr
	base := 0
	if win != nil || cascade != nil {
		base = 2 // the operator's own window_start, window_end
	}
	pi := 0
	for i := range n.GroupBy {
		switch kinds[i] {
		case startKey:
			outExprs = append(outExprs, ref(have[0]))
		case endKey:
			outExprs = append(outExprs, ref(have[1]))
		default:
			outExprs = append(outExprs, ref(have[base+pi]))
			pi++
		}
	}
	for i := range n.Aggs {
		outExprs = append(outExprs, ref(have[base+len(plain)+i]))
	}
	outCols := append([]logical.Column{}, n.Schema()...)
	if spec.Emit == window.Changes {
		outExprs = append(outExprs, ref(have[len(have)-1]))
		outCols = append(outCols, p.opCol())
	}
	return p.project(ctx, "Project", agg, have, outExprs, outCols)
}

// columnIDs matches the column ids in an expression's String form
// (compiled on first use, not at every program's start).
var columnIDs = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`#-?[0-9]+`) })

// userText prints e for an error message: SQL-like, without column ids.
func userText(e logical.Expr) string { return columnIDs().ReplaceAllString(e.String(), "") }

// cascadeEnd finds group keys that are window bounds of an upstream
// window aggregate and returns the last µs of the upstream window (from
// its end, or its start when only that is grouped), or nil when there are
// none.
func cascadeEnd(n *logical.Aggregate, bounds map[logical.ColumnID]windowDef) (logical.Expr, error) {
	var start, end logical.Expr
	var def *windowDef
	for _, g := range n.GroupBy {
		r, ok := g.(*logical.ColumnRef)
		if !ok {
			continue
		}
		d, ok := bounds[r.ID]
		if !ok {
			continue
		}
		if def != nil && !def.w.Same(d.w) {
			return nil, fmt.Errorf("planning streaming query: one GROUP BY can hold only one window")
		}
		def = &d
		if d.end {
			end = r
		} else {
			start = r
		}
	}
	shift := func(e logical.Expr, us int64) logical.Expr {
		d := &logical.Literal{Value: types.IntervalValue{Micros: us}, T: types.IntervalType}
		return &logical.Call{Func: "+", Args: []logical.Expr{e, d}, T: types.TimestampType}
	}
	switch {
	case end != nil:
		return shift(end, -1), nil
	case start == nil:
		return nil, nil
	case def.w.Kind == logical.SessionWindow:
		return nil, fmt.Errorf("planning streaming query: grouping the results of session windows again needs their window_end among the keys")
	}
	return shift(start, def.w.Size-1), nil
}

// colsOf recovers the logical columns of a stage built by withComputed
// from its schema (ids are irrelevant to the window operator).
func colsOf(st *operators.Stage, p *Planner) []logical.Column {
	s := StageSchema(st)
	cols := make([]logical.Column, s.NumFields())
	for i, f := range s.Fields() {
		t, _ := types.FromField(f)
		cols[i] = logical.Column{Name: f.Name, Type: t}
	}
	return cols
}

// truncUnits are the DATE_TRUNC units of fixed length, in µs.
var truncUnits = map[string]int64{
	"microsecond": 1, "millisecond": 1000, "second": 1_000_000, "minute": 60_000_000,
	"hour": 3_600_000_000, "day": 86_400_000_000,
}

// truncWindow recognizes DATE_TRUNC('unit', ts) and date_bin(size, ts)
// over an event-time column as a tumbling window's start.
func truncWindow(e logical.Expr, times map[logical.ColumnID]bool) (logical.Window, bool) {
	c, ok := e.(*logical.Call)
	if !ok || len(c.Args) < 2 || len(c.Args) > 3 || (len(c.Args) == 3 && c.Func != "date_bin") {
		return logical.Window{}, false
	}
	var offset int64
	if len(c.Args) == 3 { // date_bin(size, ts, origin): windows start at the origin
		o, ok := c.Args[2].(*logical.Literal)
		if !ok {
			return logical.Window{}, false
		}
		if offset, ok = o.Value.(int64); !ok {
			return logical.Window{}, false
		}
	}
	ref, ok := c.Args[1].(*logical.ColumnRef)
	if !ok || !times[ref.ID] {
		return logical.Window{}, false
	}
	lit, ok := c.Args[0].(*logical.Literal)
	if !ok {
		return logical.Window{}, false
	}
	var size int64
	switch c.Func {
	case "date_trunc":
		s, _ := lit.Value.(string)
		size = truncUnits[s]
	case "date_bin":
		if iv, ok := lit.Value.(types.IntervalValue); ok && iv.Months == 0 {
			size = int64(iv.Days)*86_400_000_000 + iv.Micros
		}
	}
	if size <= 0 {
		return logical.Window{}, false
	}
	return logical.Window{Kind: logical.TumbleWindow, Size: size, Offset: offset, Time: ref}, true
}

// eventTimes lists the columns of n's output that carry a stream's event
// time unchanged.
func eventTimes(n logical.Node) map[logical.ColumnID]bool {
	out := map[logical.ColumnID]bool{}
	switch n := n.(type) {
	case *logical.Scan:
		if st, ok := n.Table.(interface{ TimeColumn() int }); ok {
			for i, o := range n.Ordinals {
				if o == st.TimeColumn() {
					out[n.Cols[i].ID] = true
				}
			}
		}
	case *logical.Project:
		in := eventTimes(n.Input)
		for i, e := range n.Exprs {
			if r, ok := e.(*logical.ColumnRef); ok && in[r.ID] {
				out[n.Cols[i].ID] = true
			}
		}
	case *logical.Aggregate:
		// A window's start (or end) is the event time of its result rows.
		times := eventTimes(n.Input)
		for i, g := range n.GroupBy {
			if _, _, ok := logical.AsWindow(g); ok {
				out[n.GroupCols[i].ID] = true
			} else if _, ok := truncWindow(g, times); ok {
				out[n.GroupCols[i].ID] = true
			}
		}
	case *logical.Union:
		// An output column carries event time when every input's does.
		for i, c := range n.Cols {
			all := true
			for _, in := range n.Inputs {
				all = all && eventTimes(in)[in.Schema()[i].ID]
			}
			if all {
				out[c.ID] = true
			}
		}
	default:
		for _, c := range n.Children() {
			for id := range eventTimes(c) {
				out[id] = true
			}
		}
	}
	return out
}
