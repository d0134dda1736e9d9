package operators

import (
	"errors"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/types"
)

// joinCore is what HashJoin and NestedLoopJoin share: buffering the build
// side, matching flags, evaluating a condition over candidate row pairs and
// gathering matched pairs into output batches.
type joinCore struct {
	op     string // "hash join" or "nested loop join", for messages
	kind   JoinKind
	build  *arrow.Schema
	probe  *arrow.Schema
	out    *arrow.Schema
	joined *arrow.Schema // probe fields then build fields: what cond sees
	cond   expr.Evaluator
	ectx   expr.Context

	mem       memory.Allocator
	pending   []arrow.RecordBatch // build batches until the build side ends
	buildCols []arrow.Array       // the whole build side, one array per column
	buildRows int
	built     bool // build side ended
	finished  bool // probe side ended

	buildMatched []bool // Right/Full: build row matched some probe row
	probeMatched []bool // current probe batch: row matched (when tracked)
	candP, candB []int32
	outP, outB   []int32
	sel          []int32
}

func newJoinCore(op string, kind JoinKind, build, probe, out *arrow.Schema, cond expr.Evaluator, ectx *expr.Context) (joinCore, error) {
	c := joinCore{op: op, kind: kind, build: build, probe: probe, out: out, cond: cond}
	if ectx != nil {
		c.ectx = *ectx
	}
	if kind < JoinInner || kind > JoinAnti {
		return c, fmt.Errorf("creating %s: unknown join kind %d", op, int(kind))
	}
	if build == nil || probe == nil || out == nil {
		return c, fmt.Errorf("creating %s: build, probe and output schemas are required", op)
	}
	if cond != nil {
		if k := cond.Type().Kind; k != types.Boolean && k != types.Null {
			return c, fmt.Errorf("creating %s: condition has type %s, want BOOLEAN", op, cond.Type())
		}
	}
	fields := append(append([]arrow.Field{}, probe.Fields()...), build.Fields()...)
	c.joined = arrow.NewSchema(fields, nil)
	want := fields
	if !kind.emitsPairs() {
		want = probe.Fields()
	}
	if out.NumFields() != len(want) {
		return c, fmt.Errorf("creating %s: output schema has %d columns, want %d", op, out.NumFields(), len(want))
	}
	np := probe.NumFields()
	for i, f := range out.Fields() {
		if !arrow.TypeEqual(f.Type, want[i].Type) {
			return c, fmt.Errorf("creating %s: output column %d (%s) has type %s, input has %s", op, i, f.Name, f.Type, want[i].Type)
		}
		padded := (i < np && kind.padsProbe()) || (i >= np && kind.padsBuild())
		if padded && !f.Nullable && f.Type.ID() != arrow.NULL {
			return c, fmt.Errorf("creating %s: output column %d (%s) is padded with NULL by a %s join and must be nullable", op, i, f.Name, kind)
		}
	}
	return c, nil
}

func (c *joinCore) open(mem memory.Allocator) {
	c.release()
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	c.mem = mem
	c.ectx.Mem = mem
	c.built, c.finished = false, false
}

func (c *joinCore) release() {
	for _, b := range c.pending {
		b.Release()
	}
	c.pending = nil
	releaseAll(c.buildCols)
	c.buildCols = nil
	c.buildRows = 0
	c.buildMatched = nil
}

// checkBatch verifies that b's columns have the types of schema s.
func (c *joinCore) checkBatch(b arrow.RecordBatch, s *arrow.Schema, side string) error {
	if int(b.NumCols()) != s.NumFields() {
		return fmt.Errorf("processing %s %s batch: %d columns, want %d", c.op, side, b.NumCols(), s.NumFields())
	}
	for i, col := range b.Columns() {
		if !arrow.TypeEqual(col.DataType(), s.Field(i).Type) {
			return fmt.Errorf("processing %s %s batch: column %d has type %s, want %s", c.op, side, i, col.DataType(), s.Field(i).Type)
		}
	}
	return nil
}

// addBuild keeps a build batch until the build side ends.
func (c *joinCore) addBuild(b arrow.RecordBatch) error {
	if c.built {
		return fmt.Errorf("processing %s build batch: build side already ended", c.op)
	}
	if err := c.checkBatch(b, c.build, "build"); err != nil {
		return err
	}
	if b.NumRows() == 0 {
		return nil
	}
	b.Retain()
	c.pending = append(c.pending, b)
	return nil
}

// finishBuild concatenates the buffered build batches into buildCols.
func (c *joinCore) finishBuild() error {
	if c.built {
		return fmt.Errorf("ending %s build side: already ended", c.op)
	}
	c.built = true
	n := int64(0)
	for _, b := range c.pending {
		n += b.NumRows()
	}
	if n > math.MaxInt32 {
		return fmt.Errorf("buffering %s build side: %d rows exceed the limit of %d", c.op, n, math.MaxInt32)
	}
	defer func() {
		for _, b := range c.pending {
			b.Release()
		}
		c.pending = nil
	}()
	cols := make([]arrow.Array, c.build.NumFields())
	for f := range cols {
		switch len(c.pending) {
		case 0:
			cols[f] = array.MakeArrayOfNull(c.mem, c.build.Field(f).Type, 0)
		case 1:
			cols[f] = c.pending[0].Column(f)
			cols[f].Retain()
		default:
			parts := make([]arrow.Array, len(c.pending))
			for i, b := range c.pending {
				parts[i] = b.Column(f)
			}
			a, err := array.Concatenate(parts, c.mem)
			if err != nil {
				releaseAll(cols)
				return fmt.Errorf("buffering %s build side: %w", c.op, err)
			}
			cols[f] = a
		}
	}
	c.buildCols = cols
	c.buildRows = int(n)
	if c.kind.padsProbe() {
		c.buildMatched = make([]bool, n)
	}
	return nil
}

// newBatch assembles an output batch, checking what array.NewRecordBatch
// would otherwise panic on.
func newBatch(s *arrow.Schema, cols []arrow.Array, n int) (arrow.RecordBatch, error) {
	if len(cols) != s.NumFields() {
		return nil, fmt.Errorf("assembling batch: %d columns for %d fields", len(cols), s.NumFields())
	}
	for i, col := range cols {
		if !arrow.TypeEqual(col.DataType(), s.Field(i).Type) || col.Len() != n {
			return nil, fmt.Errorf("assembling batch: column %d is %s×%d, want %s×%d", i, col.DataType(), col.Len(), s.Field(i).Type, n)
		}
	}
	return array.NewRecordBatch(s, cols, int64(n)), nil
}

// contiguous reports whether idx is start, start+1, … for a start ≥ 0.
func contiguous(idx []int32) (int, bool) {
	if len(idx) == 0 || idx[0] < 0 {
		return 0, false
	}
	s := idx[0]
	for k, v := range idx {
		if v != s+int32(k) {
			return 0, false
		}
	}
	return int(s), true
}

// gatherCols appends to dst the rows idx of cols (-1: NULL). A contiguous
// run is sliced without copying.
func (c *joinCore) gatherCols(dst []arrow.Array, cols []arrow.Array, idx []int32) ([]arrow.Array, error) {
	start, run := contiguous(idx)
	for _, col := range cols {
		if run {
			dst = append(dst, array.NewSlice(col, int64(start), int64(start+len(idx))))
			continue
		}
		a, err := joinGather(c.mem, col, idx)
		if err != nil {
			return dst, err
		}
		dst = append(dst, a)
	}
	return dst, nil
}

// gather builds a batch of schema s from probe rows pIdx and, when s has
// build columns, build rows bIdx.
func (c *joinCore) gather(s *arrow.Schema, probeCols []arrow.Array, pIdx, bIdx []int32) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, 0, s.NumFields())
	defer func() { releaseAll(cols) }()
	var err error
	if cols, err = c.gatherCols(cols, probeCols, pIdx); err != nil {
		return nil, err
	}
	if s.NumFields() > len(probeCols) {
		if cols, err = c.gatherCols(cols, c.buildCols, bIdx); err != nil {
			return nil, err
		}
	}
	return newBatch(s, cols, len(pIdx))
}

// flushOut emits the pending output pairs.
func (c *joinCore) flushOut(probeCols []arrow.Array, emit Emit) error {
	if len(c.outP) == 0 {
		return nil
	}
	b, err := c.gather(c.out, probeCols, c.outP, c.outB)
	c.outP, c.outB = c.outP[:0], c.outB[:0]
	if err != nil {
		return fmt.Errorf("gathering %s output: %w", c.op, err)
	}
	return emit(b)
}

// emitPair queues output row (probe p, build b); -1 pads a side with NULL.
func (c *joinCore) emitPair(p, b int32, probeCols []arrow.Array, emit Emit) error {
	c.outP = append(c.outP, p)
	c.outB = append(c.outB, b)
	if len(c.outP) >= BatchSize {
		return c.flushOut(probeCols, emit)
	}
	return nil
}

// match records that probe row p and build row b satisfy the join.
func (c *joinCore) match(p, b int32, probeCols []arrow.Array, emit Emit) error {
	if c.probeMatched != nil {
		c.probeMatched[p] = true
	}
	if c.buildMatched != nil {
		c.buildMatched[b] = true
	}
	if c.kind.emitsPairs() {
		return c.emitPair(p, b, probeCols, emit)
	}
	return nil
}

// addCandidate queues pair (p, b) for the condition, evaluating the queue
// once it is full.
func (c *joinCore) addCandidate(p, b int32, probeCols []arrow.Array, acceptNull bool, emit Emit) error {
	c.candP = append(c.candP, p)
	c.candB = append(c.candB, b)
	if len(c.candP) >= BatchSize {
		return c.evalCandidates(probeCols, acceptNull, emit)
	}
	return nil
}

// evalCandidates evaluates the condition over the queued pairs and records
// the pairs for which it is TRUE (or NULL, with acceptNull) as matches.
func (c *joinCore) evalCandidates(probeCols []arrow.Array, acceptNull bool, emit Emit) error {
	if len(c.candP) == 0 {
		return nil
	}
	defer func() { c.candP, c.candB = c.candP[:0], c.candB[:0] }()
	b, err := c.gather(c.joined, probeCols, c.candP, c.candB)
	if err != nil {
		return fmt.Errorf("gathering %s candidate rows: %w", c.op, err)
	}
	res, err := c.cond.Eval(&c.ectx, b)
	b.Release()
	if err != nil {
		return fmt.Errorf("evaluating %s condition: %w", c.op, err)
	}
	defer res.Release()
	if res.Len() != len(c.candP) {
		return fmt.Errorf("evaluating %s condition: %d results for %d rows", c.op, res.Len(), len(c.candP))
	}
	switch r := res.(type) {
	case *array.Boolean:
		for k := range c.candP {
			if r.IsValid(k) && r.Value(k) || acceptNull && r.IsNull(k) {
				if err := c.match(c.candP[k], c.candB[k], probeCols, emit); err != nil {
					return err
				}
			}
		}
	case *array.Null:
		if acceptNull {
			for k := range c.candP {
				if err := c.match(c.candP[k], c.candB[k], probeCols, emit); err != nil {
					return err
				}
			}
		}
	default:
		return fmt.Errorf("evaluating %s condition: result has type %s, want boolean", c.op, res.DataType())
	}
	return nil
}

// resetProbeMatched sizes and clears probeMatched for an n-row probe batch.
func (c *joinCore) resetProbeMatched(n int) {
	if cap(c.probeMatched) < n {
		c.probeMatched = make([]bool, n)
	}
	c.probeMatched = c.probeMatched[:n]
	clear(c.probeMatched)
}

// padProbe queues every probe row not matched, padded with NULL build
// columns (Left and Full joins).
func (c *joinCore) padProbe(probeCols []arrow.Array, emit Emit) error {
	for i, m := range c.probeMatched {
		if !m {
			if err := c.emitPair(int32(i), -1, probeCols, emit); err != nil {
				return err
			}
		}
	}
	return nil
}

// emitProbeRows emits the probe rows i with probeMatched[i] == want (Semi:
// want true, Anti: false), in order.
func (c *joinCore) emitProbeRows(b arrow.RecordBatch, want bool, emit Emit) error {
	c.sel = c.sel[:0]
	for i, m := range c.probeMatched {
		if m == want {
			c.sel = append(c.sel, int32(i))
		}
	}
	return c.emitSelected(b, c.sel, emit)
}

// emitSelected emits the probe rows sel of b with the output schema.
func (c *joinCore) emitSelected(b arrow.RecordBatch, sel []int32, emit Emit) error {
	cols := b.Columns()
	for len(sel) > 0 {
		k := min(len(sel), BatchSize)
		out, err := c.gather(c.out, cols, sel[:k], nil)
		if err != nil {
			return fmt.Errorf("gathering %s output: %w", c.op, err)
		}
		if err := emit(out); err != nil {
			return err
		}
		sel = sel[k:]
	}
	return nil
}

// emitAllProbe emits every row of probe batch b unchanged.
func (c *joinCore) emitAllProbe(b arrow.RecordBatch, emit Emit) error {
	c.sel = c.sel[:0]
	for i := range int32(b.NumRows()) {
		c.sel = append(c.sel, i)
	}
	return c.emitSelected(b, c.sel, emit)
}

// padAllProbe emits every row of probe batch b padded with NULL build
// columns.
func (c *joinCore) padAllProbe(b arrow.RecordBatch, emit Emit) error {
	cols := b.Columns()
	for i := range int32(b.NumRows()) {
		if err := c.emitPair(i, -1, cols, emit); err != nil {
			return err
		}
	}
	return c.flushOut(cols, emit)
}

// finishProbe ends the probe side: Right and Full joins emit the build rows
// no probe row matched, padded with NULL probe columns. The build side is
// released.
func (c *joinCore) finishProbe(emit Emit) error {
	if !c.built {
		return fmt.Errorf("ending %s probe side: build side has not ended", c.op)
	}
	if c.finished {
		return fmt.Errorf("ending %s probe side: already ended", c.op)
	}
	c.finished = true
	defer c.release()
	if !c.kind.padsProbe() || c.buildRows == 0 {
		return nil
	}
	empty := make([]arrow.Array, c.probe.NumFields())
	for i := range empty {
		empty[i] = array.MakeArrayOfNull(c.mem, c.probe.Field(i).Type, 0)
	}
	defer releaseAll(empty)
	for r, m := range c.buildMatched {
		if !m {
			if err := c.emitPair(-1, int32(r), empty, emit); err != nil {
				return err
			}
		}
	}
	return c.flushOut(empty, emit)
}

// checkProbe validates a probe batch and the operator's state for it.
func (c *joinCore) checkProbe(b arrow.RecordBatch) error {
	if !c.built {
		return errors.New("processing " + c.op + " probe batch: build side has not ended")
	}
	if c.finished {
		return errors.New("processing " + c.op + " probe batch: probe side already ended")
	}
	return c.checkBatch(b, c.probe, "probe")
}
