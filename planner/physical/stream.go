package physical

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/window"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/rules"
	"github.com/streamsql/streamsql/planner/types"
)

// StreamOptions configures the planning of a streaming query.
type StreamOptions struct {
	// Changes selects EMIT CHANGES for windowed aggregates (unwindowed
	// aggregates are always changelogs); Every throttles it (µs).
	Changes bool
	Every   int64
	// AllowedLateness keeps windows open this long (µs) after the
	// watermark passes their end.
	AllowedLateness int64
	// DedupTTL is how long (µs) SELECT DISTINCT over a stream remembers a
	// row; 0 forever.
	DedupTTL int64
	// Now is the processing clock (EMIT CHANGES EVERY, TTLs without event
	// time); nil means time.Now.
	Now func() time.Time
}

// streamState is the planner's state while planning a streaming query.
type streamState struct {
	opts StreamOptions
	opID logical.ColumnID // the hidden id of the _op column of changelogs
}

// BuildStream plans a streaming query: scans of catalog.StreamTable
// tables become stream leaves, aggregates become window aggregates (or
// changelogs), DISTINCT a dedup, joins of two streams time-bounded joins,
// joins with a bounded table lookup joins. The root's output is the
// query's schema, plus a trailing _op column when it is a changelog.
func (p *Planner) BuildStream(ctx context.Context, n logical.Node, opts StreamOptions) (*operators.Stage, error) {
	if !isStream(n) {
		return nil, fmt.Errorf("planning streaming query: it reads no stream (FROM __input__ or a table created WITH a streaming connector)")
	}
	p.hidden--
	p.stream = &streamState{opts: opts, opID: p.hidden}
	p.Parallelism = 1
	defer func() { p.stream = nil }()
	return p.Build(ctx, n)
}

// isStream reports whether n reads a stream.
func isStream(n logical.Node) bool {
	if s, ok := n.(*logical.Scan); ok {
		_, is := s.Table.(*catalog.StreamTable)
		return is
	}
	for _, c := range n.Children() {
		if isStream(c) {
			return true
		}
	}
	return false
}

// IsChangelog reports whether a stage's output is an updating stream
// (ends with the _op column).
func IsChangelog(s *operators.Stage) bool {
	sc := StageSchema(s)
	return sc != nil && sc.NumFields() > 0 && sc.Field(sc.NumFields()-1).Name == operators.OpColumn
}

// StageSchema is the Arrow schema of a stage's output.
func StageSchema(s *operators.Stage) *arrow.Schema {
	switch {
	case s.Op != nil:
		return s.Op.Schema()
	case s.Stream != nil:
		return s.Stream.Schema
	case s.Source != nil:
		return s.Source.Schema()
	case s.NewOp != nil:
		if op, err := s.NewOp(); err == nil {
			return op.Schema()
		}
	}
	return nil
}

// opCol is the logical column of a changelog's _op.
func (p *Planner) opCol() logical.Column {
	return logical.Column{ID: p.stream.opID, Name: operators.OpColumn, Type: types.VarcharType}
}

// withOp returns cols, plus the _op column when st is a changelog.
func (p *Planner) withOp(st *operators.Stage, cols []logical.Column) []logical.Column {
	if IsChangelog(st) {
		return append(append([]logical.Column{}, cols...), p.opCol())
	}
	return cols
}

// buildStream plans the nodes whose streaming meaning differs from the
// batch one; ok false leaves n to the batch planner (bounded subtrees).
func (p *Planner) buildStream(ctx context.Context, n logical.Node) (*operators.Stage, bool, error) {
	if !isStream(n) {
		return nil, false, nil
	}
	var st *operators.Stage
	var err error
	switch n := n.(type) {
	case *logical.Scan:
		st, err = p.streamScan(ctx, n)
	case *logical.Filter:
		var ranked bool
		if st, ranked, err = p.streamRank(ctx, n); !ranked {
			st, err = p.streamFilter(ctx, n)
		}
	case *logical.RowNumber:
		err = fmt.Errorf("planning streaming query: ROW_NUMBER() over a stream must be filtered to its first rows (WHERE row_number = 1 or <= N)")
	case *logical.Project:
		st, err = p.streamProject(ctx, n)
	case *logical.Aggregate:
		st, err = p.streamAggregate(ctx, n)
	case *logical.Distinct:
		st, err = p.streamDistinct(ctx, n)
	case *logical.Join:
		st, err = p.streamJoin(ctx, n)
	case *logical.Union:
		return nil, false, nil
	case *logical.Sort, *logical.TopN:
		err = fmt.Errorf("planning streaming query: ORDER BY needs a bounded input; over a stream, rank within windows (ROW_NUMBER() OVER (PARTITION BY window_start ORDER BY …)) or use streamsql query on a table")
	case *logical.Limit:
		err = fmt.Errorf("planning streaming query: LIMIT over an unbounded stream is not supported")
	default:
		err = fmt.Errorf("planning streaming query: %T over a stream is not supported", n)
	}
	return st, true, err
}

// streamScan reads a stream table's splits. The event-time column is
// read even when the query does not use it (watermarks need it) and
// dropped after.
func (p *Planner) streamScan(ctx context.Context, n *logical.Scan) (*operators.Stage, error) {
	t := n.Table.(*catalog.StreamTable)
	cols := append([]int{}, n.Ordinals...)
	lcols := append([]logical.Column{}, n.Cols...)
	tc, timeIdx := t.TimeColumn(), -1
	for i, o := range cols {
		if o == tc {
			timeIdx = i
		}
	}
	if tc >= 0 && timeIdx < 0 {
		f := t.Schema().Field(tc)
		cols = append(cols, tc)
		p.hidden--
		lcols = append(lcols, logical.Column{ID: p.hidden, Name: f.Name, Type: types.TimestampType, Nullable: true})
		timeIdx = len(cols) - 1
	}
	scan := &operators.StreamScan{
		Name: n.Name, Table: t, Columns: cols, Schema: Schema(lcols), TimeCol: timeIdx,
		Delay: t.Time.Delay, IdleTimeout: t.Time.IdleTimeout,
	}
	st := &operators.Stage{Name: "StreamScan " + n.Name, Stream: scan}
	return p.dropTo(ctx, st, lcols, len(n.Cols))
}

func (p *Planner) streamFilter(ctx context.Context, n *logical.Filter) (*operators.Stage, error) {
	in, err := p.Build(ctx, n.Input)
	if err != nil {
		return nil, err
	}
	cols := p.withOp(in, n.Input.Schema())
	pred, err := p.compile(ctx, n.Pred, cols)
	if err != nil {
		return nil, err
	}
	return unary("Filter", operators.NewFilter(Schema(cols), pred, p.Ctx), in), nil
}

// streamProject evaluates the window bounds of table functions (only a
// tumbling window has per-row bounds) and forwards a changelog's _op.
func (p *Planner) streamProject(ctx context.Context, n *logical.Project) (*operators.Stage, error) {
	in, err := p.Build(ctx, n.Input)
	if err != nil {
		return nil, err
	}
	inCols, outCols := n.Input.Schema(), n.Cols
	exprs := append([]logical.Expr{}, n.Exprs...)
	if in, inCols, err = p.hopAssign(ctx, in, inCols, exprs); err != nil {
		return nil, err
	}
	for i, e := range exprs {
		if exprs[i], err = tumbleBounds(e); err != nil {
			return nil, err
		}
	}
	if IsChangelog(in) {
		op := p.opCol()
		inCols = append(append([]logical.Column{}, inCols...), op)
		outCols = append(append([]logical.Column{}, outCols...), op)
		exprs = append(exprs, &logical.ColumnRef{ID: op.ID, Name: op.Name, T: op.Type})
	}
	return p.project(ctx, "Project", in, inCols, exprs, outCols)
}

// tumbleBounds rewrites the window keys of a tumbling window in e into
// date_bin arithmetic; HOP and SESSION bounds exist only per window.
func tumbleBounds(e logical.Expr) (logical.Expr, error) {
	var bad error
	out := rules.RewriteExpr(e, func(x logical.Expr) logical.Expr {
		w, end, ok := logical.AsWindow(x)
		if !ok {
			return x
		}
		if w.Kind != logical.TumbleWindow {
			bad = fmt.Errorf("planning streaming query: window_start/window_end of %s windows can only be grouped by (GROUP BY window_start, window_end)", strings.ToUpper(w.Kind.String()))
			return x
		}
		size := &logical.Literal{Value: types.IntervalValue{Micros: w.Size}, T: types.IntervalType}
		start := &logical.Call{Func: "date_bin", Args: []logical.Expr{size, w.Time}, T: types.TimestampType}
		if !end {
			return start
		}
		return &logical.Call{Func: "+", Args: []logical.Expr{start, size}, T: types.TimestampType}
	})
	return out, bad
}

// hopAssign gives rows of a HOP table function one copy per window they
// fall in (window.Assign) when the query reads window_start/window_end per
// row rather than grouping by them; exprs are rewritten to read the
// assigned bounds.
func (p *Planner) hopAssign(ctx context.Context, in *operators.Stage, inCols []logical.Column, exprs []logical.Expr) (*operators.Stage, []logical.Column, error) {
	var hop *logical.Window
	for _, e := range exprs {
		if w, _, ok := logical.AsWindow(e); ok && w.Kind == logical.HopWindow {
			if hop != nil && !hop.Same(w) {
				return nil, nil, fmt.Errorf("planning streaming query: one SELECT can assign only one HOP window")
			}
			hop = &w
		}
	}
	if hop == nil {
		return in, inCols, nil
	}
	if IsChangelog(in) {
		return nil, nil, fmt.Errorf("planning streaming query: HOP over an updating stream is not supported")
	}
	st, cols, idx, err := p.withComputed(ctx, in, inCols, []logical.Expr{hop.Time})
	if err != nil {
		return nil, nil, err
	}
	op, err := window.NewAssign(window.AssignSpec{Kind: window.Hop, Size: hop.Size, Slide: hop.Slide, TimeCol: idx[0], Input: Schema(cols)})
	if err != nil {
		return nil, nil, err
	}
	bounds := make([]logical.Column, 2)
	for i, name := range []string{window.StartColumn, window.EndColumn} {
		p.hidden--
		bounds[i] = logical.Column{ID: p.hidden, Name: name, Type: types.TimestampType, Nullable: true}
	}
	for i, e := range exprs {
		if w, end, ok := logical.AsWindow(e); ok && w.Kind == logical.HopWindow {
			b := bounds[0]
			if end {
				b = bounds[1]
			}
			exprs[i] = &logical.ColumnRef{ID: b.ID, Name: b.Name, T: b.Type}
		}
	}
	return unary("WindowAssign hop", op, st), append(append([]logical.Column{}, cols...), bounds...), nil
}
