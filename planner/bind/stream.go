package bind

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/catalog"

	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/parse"
	"github.com/streamsql/streamsql/planner/types"
)

// Streaming parts of binding: EMIT clauses, window table functions and
// the Arroyo-style GROUP BY TUMBLE(…) / HOP(…) / SESSION(…).

// bindEmit records the query's EMIT clause; only streaming queries take
// one that changes anything.
func (b *binder) bindEmit(e *parse.Emit) error {
	if e == nil {
		return nil
	}
	if !b.opts.Streaming {
		if e.Mode == parse.EmitChanges {
			return b.errf(e, "EMIT CHANGES requires a streaming query (streamsql run)")
		}
		return nil
	}
	em := &Emit{Changes: e.Mode == parse.EmitChanges}
	if e.Every != nil {
		x, err := b.expr(&ectx{sc: &scope{}, clause: "EMIT"}, e.Every)
		if err != nil {
			return err
		}
		if lit, ok := b.untypedLit(x); ok {
			if x, err = b.coerceLit(lit, types.IntervalType); err != nil {
				return err
			}
		}
		if em.Every, err = b.intervalMicros(e.Every, x, "EMIT CHANGES EVERY"); err != nil {
			return err
		}
	}
	if b.emit != nil && *b.emit != *em {
		return b.errf(e, "conflicting EMIT clauses in one statement")
	}
	b.emit = em
	return nil
}

// intervalMicros reads a constant INTERVAL of fixed length as µs.
func (b *binder) intervalMicros(at parse.Node, e logical.Expr, what string) (int64, error) {
	lit, ok := e.(*logical.Literal)
	if !ok || e.Type() != types.IntervalType {
		return 0, b.errf(at, "%s must be a constant INTERVAL", what)
	}
	iv, ok := lit.Value.(types.IntervalValue)
	if !ok {
		return 0, b.errf(at, "%s must not be NULL", what)
	}
	if iv.Months != 0 {
		return 0, b.errf(at, "%s must have a fixed length (no months or years)", what)
	}
	us := int64(iv.Days)*86_400_000_000 + iv.Micros
	if us <= 0 {
		return 0, b.errf(at, "%s must be positive", what)
	}
	return us, nil
}

// window builds the window of a window function from its lengths.
func (b *binder) window(at parse.Node, name string, ts logical.Expr, lens []logical.Expr, args []parse.Expr) (logical.Window, error) {
	upper := strings.ToUpper(name)
	us := make([]int64, len(lens))
	for i, l := range lens {
		var err error
		if us[i], err = b.intervalMicros(args[i], l, upper+" length"); err != nil {
			return logical.Window{}, err
		}
	}
	w := logical.Window{Time: ts}
	switch name {
	case "tumble":
		w.Kind, w.Size = logical.TumbleWindow, us[0]
	case "hop":
		w.Kind, w.Slide, w.Size = logical.HopWindow, us[0], us[1]
		if w.Size%w.Slide != 0 {
			return w, b.errf(at, "HOP size must be a multiple of its slide")
		}
	case "session":
		w.Kind, w.Gap = logical.SessionWindow, us[0]
	}
	return w, nil
}

// streamTableFunc binds TUMBLE/HOP/SESSION(t, ts, …) in a streaming FROM:
// the input's columns plus window_start and window_end, which GROUP BY
// turns into window keys.
func (b *binder) streamTableFunc(t *parse.TableFunc, name string, in *fromItem, ts logical.Expr, tsArg *parse.Ident, lens []logical.Expr) (*fromItem, error) {
	if err := b.checkEventTime(name, in, ts, tsArg); err != nil {
		return nil, err
	}
	w, err := b.window(t, name, ts, lens, t.Args[2:])
	if err != nil {
		return nil, err
	}
	nullable := true
	if ref, ok := ts.(*logical.ColumnRef); ok {
		nullable = b.nullable[ref.ID]
	}
	wcols := []logical.Column{
		{ID: b.gen.Next(), Name: "window_start", Type: types.TimestampType, Nullable: nullable},
		{ID: b.gen.Next(), Name: "window_end", Type: types.TimestampType, Nullable: nullable},
	}
	qual := t.Alias
	if qual == "" && len(in.sc.rels) == 1 {
		qual = in.sc.rels[0].qual
	}
	for i := range wcols {
		wcols[i].Table = qual
		b.nullable[wcols[i].ID] = nullable
	}
	node, sc := b.passThrough(in.node, in.sc, []logical.Expr{w.Call(false), w.Call(true)}, wcols)
	// Over the new columns the window reads the forwarded time column.
	inner := *sc
	newTS, err := b.expr(&ectx{sc: &inner, clause: strings.ToUpper(name)}, tsArg)
	if err != nil {
		return nil, err
	}
	if ref, ok := ts.(*logical.ColumnRef); ok && b.timeCols[ref.ID] {
		if nr, ok := newTS.(*logical.ColumnRef); ok {
			b.timeCols[nr.ID] = true
		}
	}
	w.Time = newTS
	b.windowCols[wcols[0].ID] = w.Call(false)
	b.windowCols[wcols[1].ID] = w.Call(true)
	vis := append(append([]logical.Column{}, sc.vis...), wcols...)
	for i := range vis {
		vis[i].Table = qual
	}
	return &fromItem{node: node, sc: &scope{vis: vis, rels: []*relation{{qual: qual, cols: vis}}}}, nil
}

// checkEventTime rejects, with its position, a window table function
// over a stream table whose time argument is not the stream's event-time
// column: watermarks could never close its windows. (Over subqueries and
// views the planner checks it, without a position.)
func (b *binder) checkEventTime(name string, in *fromItem, ts logical.Expr, tsArg *parse.Ident) error {
	scan, ok := in.node.(*logical.Scan)
	if !ok {
		return nil
	}
	st, ok := scan.Table.(*catalog.StreamTable)
	if !ok {
		return nil
	}
	if ref, ok := ts.(*logical.ColumnRef); ok && b.timeCols[ref.ID] {
		return nil
	}
	upper := strings.ToUpper(name)
	if st.Time.Column == "" {
		return b.errf(tsArg, "%s needs an event-time column: declare WATERMARK FOR col in CREATE TABLE, or pass --event-time", upper)
	}
	return b.errf(tsArg, "%s over %s must use its event-time column %s (declared by WATERMARK FOR or --event-time), not %s", upper, scan.Name, st.Time.Column, tsArg.Parts[len(tsArg.Parts)-1])
}

// groupWindow binds the Arroyo form TUMBLE(size), HOP(slide, size),
// SESSION(gap) as a group key over the FROM clause's event-time column.
// Its value is the window's start.
func (b *binder) groupWindow(c *ectx, e *parse.FuncCall, name string) (logical.Expr, error) {
	upper := strings.ToUpper(name)
	if !b.opts.Streaming {
		return nil, b.errf(e, "window function %s requires a streaming query (streamsql run)", upper)
	}
	want := map[string]int{"tumble": 1, "hop": 2, "session": 1}[name]
	if len(e.Args) != want {
		return nil, b.errf(e, "%s takes %d argument(s) in GROUP BY (the event-time column is implicit), got %d", upper, want, len(e.Args))
	}
	var ts logical.Expr
	for _, col := range c.sc.vis {
		if b.timeCols[col.ID] {
			if ts != nil {
				return nil, b.errf(e, "%s is ambiguous: the FROM clause has more than one event-time column; use FROM %s(table, column, …)", upper, upper)
			}
			ts = colRef(col)
		}
	}
	if ts == nil {
		return nil, b.errf(e, "%s needs an event-time column: declare WATERMARK FOR col in CREATE TABLE, or pass --event-time", upper)
	}
	lens := make([]logical.Expr, len(e.Args))
	for i, a := range e.Args {
		l, err := b.expr(&ectx{sc: &scope{}, clause: upper, env: c.env}, a)
		if err != nil {
			return nil, err
		}
		if lit, ok := b.untypedLit(l); ok {
			if l, err = b.coerceLit(lit, types.IntervalType); err != nil {
				return nil, err
			}
		}
		lens[i] = l
	}
	w, err := b.window(e, name, ts, lens, e.Args)
	if err != nil {
		return nil, err
	}
	return w.Call(false), nil
}

// windowKeys replaces group keys that read the window_start/window_end
// columns of a streaming table function by the window keys themselves.
func (b *binder) windowKeys(groups []logical.Expr) {
	for i, g := range groups {
		if r, ok := g.(*logical.ColumnRef); ok {
			if w, ok := b.windowCols[r.ID]; ok {
				groups[i] = w
			}
		}
	}
}

// EventTime reads the watermark definition as an event-time column and a
// delay: WATERMARK FOR ts [AS ts [- INTERVAL …]].
func (w *WatermarkDef) EventTime() (catalog.EventTime, error) {
	et := catalog.EventTime{Column: w.Column}
	switch x := w.Expr.(type) {
	case *logical.ColumnRef:
		if x.Name == w.Column {
			return et, nil
		}
	case *logical.Call:
		if r, ok := x.Args[0].(*logical.ColumnRef); ok && len(x.Args) == 2 && r.Name == w.Column && (x.Func == "-" || x.Func == "+") {
			if lit, ok := x.Args[1].(*logical.Literal); ok {
				if iv, ok := lit.Value.(types.IntervalValue); ok && iv.Months == 0 {
					d := int64(iv.Days)*86_400_000_000 + iv.Micros
					if x.Func == "+" {
						d = -d
					}
					if d >= 0 {
						et.Delay = d
						return et, nil
					}
				}
			}
		}
	}
	return et, fmt.Errorf("WATERMARK FOR %s must be %s or %s - INTERVAL '…' (a fixed delay), not %s", w.Column, w.Column, w.Column, w.Expr)
}

// readsStream reports whether n scans a stream table.
func readsStream(n logical.Node) bool {
	if s, ok := n.(*logical.Scan); ok {
		_, is := s.Table.(*catalog.StreamTable)
		return is
	}
	for _, c := range n.Children() {
		if readsStream(c) {
			return true
		}
	}
	return false
}
