package operators

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators/expr"
)

// NestedLoopJoinSpec describes a join on an arbitrary condition, or a cross
// join.
type NestedLoopJoinSpec struct {
	Kind JoinKind // any; JoinCross is JoinInner (usually with a nil Cond)
	// Build is the schema of input 0 (the plan's right side), which is
	// buffered; Probe the schema of input 1 (the plan's left side), which
	// is streamed.
	Build, Probe *arrow.Schema
	// Cond is the join condition over the joined row (probe columns then
	// build columns); a pair joins if it is TRUE. nil: every pair joins.
	Cond expr.Evaluator
	// NullAware (Anti only) gives NOT IN semantics: a pair whose Cond is
	// NULL also rejects the probe row.
	NullAware bool
	// OutSchema is the probe columns then the build columns (the probe
	// columns alone for Semi and Anti), with the inputs' types; columns a
	// kind pads with NULL must be nullable.
	OutSchema *arrow.Schema
	// Ctx is the evaluation context of Cond (its Now); its Mem is replaced
	// by the allocator given to Open. May be nil.
	Ctx *expr.Context
}

// NestedLoopJoin buffers input 0 (build) and joins each batch of input 1
// (probe) with all of it, evaluating the condition over the cartesian
// product in blocks of at most 8192 pairs. Unmatched build rows of Right
// and Full joins are emitted when the probe side ends. Output batches have
// at most 8192 rows.
type NestedLoopJoin struct {
	spec NestedLoopJoinSpec
	core joinCore
}

// NewNestedLoopJoin validates spec and returns the operator.
func NewNestedLoopJoin(spec NestedLoopJoinSpec) (*NestedLoopJoin, error) {
	core, err := newJoinCore("nested loop join", spec.Kind, spec.Build, spec.Probe, spec.OutSchema, spec.Cond, spec.Ctx)
	if err != nil {
		return nil, err
	}
	if spec.NullAware && spec.Kind != JoinAnti {
		return nil, fmt.Errorf("creating nested loop join: NullAware applies to Anti joins only, not %s", spec.Kind)
	}
	return &NestedLoopJoin{spec: spec, core: core}, nil
}

// Schema is the output schema.
func (j *NestedLoopJoin) Schema() *arrow.Schema { return j.spec.OutSchema }

// Open prepares a run; a NestedLoopJoin can be reopened after Close.
func (j *NestedLoopJoin) Open(_ context.Context, mem memory.Allocator) error {
	j.core.open(mem)
	return nil
}

// ProcessBatch buffers a build batch (input 0) or joins a probe batch
// (input 1).
func (j *NestedLoopJoin) ProcessBatch(ctx context.Context, input int, b arrow.RecordBatch, emit Emit) error {
	switch input {
	case 0:
		return j.core.addBuild(b)
	case 1:
		if err := j.core.checkProbe(b); err != nil {
			return err
		}
		return j.probe(ctx, b, emit)
	}
	return fmt.Errorf("processing nested loop join input %d: no such input", input)
}

// EndOfInput concatenates the build side when it ends, and emits the
// unmatched build rows of Right and Full joins when the probe side ends.
func (j *NestedLoopJoin) EndOfInput(_ context.Context, input int, emit Emit) error {
	switch input {
	case 0:
		return j.core.finishBuild()
	case 1:
		return j.core.finishProbe(emit)
	}
	return fmt.Errorf("ending nested loop join input %d: no such input", input)
}

// Close releases everything the join holds.
func (j *NestedLoopJoin) Close() error {
	j.core.release()
	return nil
}

func (j *NestedLoopJoin) probe(ctx context.Context, b arrow.RecordBatch, emit Emit) error {
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	c := &j.core
	m := c.buildRows
	if m == 0 {
		switch {
		case c.kind.padsBuild():
			return c.padAllProbe(b, emit)
		case c.kind == JoinAnti:
			return c.emitAllProbe(b, emit)
		}
		return nil
	}
	if j.spec.Cond == nil {
		return j.probeCross(ctx, b, emit)
	}
	cols := b.Columns()
	acceptNull := j.spec.NullAware
	// Semi and Anti need one match per probe row: skip a row's remaining
	// pairs once a previous block matched it.
	skipMatched := !c.kind.emitsPairs()
	c.resetProbeMatched(n)
	for i := range int32(n) {
		for r := int32(0); r < int32(m); r++ {
			if skipMatched && c.probeMatched[i] {
				break
			}
			c.candP = append(c.candP, i)
			c.candB = append(c.candB, r)
			if len(c.candP) >= BatchSize {
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := c.evalCandidates(cols, acceptNull, emit); err != nil {
					return err
				}
			}
		}
	}
	if err := c.evalCandidates(cols, acceptNull, emit); err != nil {
		return err
	}
	switch {
	case c.kind == JoinSemi:
		return c.emitProbeRows(b, true, emit)
	case c.kind == JoinAnti:
		return c.emitProbeRows(b, false, emit)
	case c.kind.padsBuild():
		if err := c.padProbe(cols, emit); err != nil {
			return err
		}
	}
	return c.flushOut(cols, emit)
}

// probeCross joins a probe batch with a non-empty build side when every
// pair matches.
func (j *NestedLoopJoin) probeCross(ctx context.Context, b arrow.RecordBatch, emit Emit) error {
	c := &j.core
	switch c.kind {
	case JoinSemi:
		return c.emitAllProbe(b, emit)
	case JoinAnti:
		return nil
	}
	for r := range c.buildMatched {
		c.buildMatched[r] = true
	}
	cols := b.Columns()
	n, m := int32(b.NumRows()), int32(c.buildRows)
	for i := range n {
		for r := range m {
			c.outP = append(c.outP, i)
			c.outB = append(c.outB, r)
			if len(c.outP) >= BatchSize {
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := c.flushOut(cols, emit); err != nil {
					return err
				}
			}
		}
	}
	return c.flushOut(cols, emit)
}
