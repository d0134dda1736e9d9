package operators

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators/expr"
)

// JoinKind is the kind of a physical join. The values follow the order of
// planner/logical.JoinKind.
type JoinKind int

const (
	// JoinInner emits every matching (probe, build) row pair.
	JoinInner JoinKind = iota
	// JoinLeft also emits each unmatched probe row, build columns NULL.
	JoinLeft
	// JoinRight also emits each unmatched build row, probe columns NULL.
	JoinRight
	// JoinFull is JoinLeft and JoinRight together.
	JoinFull
	// JoinCross emits every pair (NestedLoopJoin only; with a condition it
	// is JoinInner).
	JoinCross
	// JoinSemi emits, once, each probe row with at least one match.
	JoinSemi
	// JoinAnti emits each probe row without a match.
	JoinAnti
)

var joinKindNames = [...]string{"Inner", "Left", "Right", "Full", "Cross", "Semi", "Anti"}

func (k JoinKind) String() string {
	if k >= 0 && int(k) < len(joinKindNames) {
		return joinKindNames[k]
	}
	return fmt.Sprintf("JoinKind(%d)", int(k))
}

// emitsPairs reports whether the output has probe and build columns (all
// kinds but Semi and Anti, whose output is the probe columns).
func (k JoinKind) emitsPairs() bool { return k != JoinSemi && k != JoinAnti }

// padsBuild reports whether unmatched probe rows are emitted with NULL
// build columns.
func (k JoinKind) padsBuild() bool { return k == JoinLeft || k == JoinFull }

// padsProbe reports whether unmatched build rows are emitted with NULL
// probe columns.
func (k JoinKind) padsProbe() bool { return k == JoinRight || k == JoinFull }

// HashJoinSpec describes a hash equi-join.
type HashJoinSpec struct {
	Kind JoinKind // any but JoinCross
	// Build is the schema of input 0 (the plan's right side), which is
	// buffered; Probe the schema of input 1 (the plan's left side), which
	// is streamed.
	Build, Probe *arrow.Schema
	// BuildKeys and ProbeKeys are the equi-join key columns, pairwise of
	// the same Arrow type; at least one pair. A NULL key never matches.
	BuildKeys, ProbeKeys []int
	// Residual is an optional extra condition over the joined row (probe
	// columns then build columns); a key-matching pair joins only if it is
	// TRUE. nil: none.
	Residual expr.Evaluator
	// NullAware (Anti only) gives NOT IN semantics: when the build side has
	// rows, a probe row is rejected if its keys compare equal or unknown
	// (NULL) to those of some build row, so a NULL key on either side
	// rejects. With a Residual, only build rows for which it is TRUE are
	// compared (the subquery's correlated filter).
	NullAware bool
	// OutSchema is the probe columns then the build columns (the probe
	// columns alone for Semi and Anti), with the inputs' types; columns a
	// kind pads with NULL must be nullable.
	OutSchema *arrow.Schema
	// Ctx is the evaluation context of Residual (its Now); its Mem is
	// replaced by the allocator given to Open. May be nil.
	Ctx *expr.Context
}

// HashJoin is an equi-join operator: it buffers input 0 (build) into a hash
// table on the key columns, then streams input 1 (probe) through it.
// Unmatched build rows of Right and Full joins are emitted when the probe
// side ends. Output batches have at most 8192 rows.
type HashJoin struct {
	spec  HashJoinSpec
	core  joinCore
	index keyIndex
	dup   []int32
	first []int32

	// NullAware state.
	nullBuildRows []int32 // build rows with a NULL key
	buildAllNull  bool    // some build row has every key NULL

	buildKeyCols []arrow.Array // borrowed from core.buildCols
	probeKeyCols []arrow.Array // scratch
}

// NewHashJoin validates spec and returns the operator.
func NewHashJoin(spec HashJoinSpec) (*HashJoin, error) {
	core, err := newJoinCore("hash join", spec.Kind, spec.Build, spec.Probe, spec.OutSchema, spec.Residual, spec.Ctx)
	if err != nil {
		return nil, err
	}
	if spec.Kind == JoinCross {
		return nil, fmt.Errorf("creating hash join: a cross join has no keys; use NestedLoopJoin")
	}
	if len(spec.BuildKeys) == 0 || len(spec.BuildKeys) != len(spec.ProbeKeys) {
		return nil, fmt.Errorf("creating hash join: %d build keys and %d probe keys, want the same non-zero count", len(spec.BuildKeys), len(spec.ProbeKeys))
	}
	if spec.NullAware && spec.Kind != JoinAnti {
		return nil, fmt.Errorf("creating hash join: NullAware applies to Anti joins only, not %s", spec.Kind)
	}
	keyTypes := make([]arrow.DataType, len(spec.BuildKeys))
	for k, bi := range spec.BuildKeys {
		pi := spec.ProbeKeys[k]
		if bi < 0 || bi >= spec.Build.NumFields() || pi < 0 || pi >= spec.Probe.NumFields() {
			return nil, fmt.Errorf("creating hash join: key %d: column out of range (build %d, probe %d)", k, bi, pi)
		}
		bt, pt := spec.Build.Field(bi).Type, spec.Probe.Field(pi).Type
		if bt.ID() != pt.ID() {
			return nil, fmt.Errorf("creating hash join: key %d: build type %s differs from probe type %s", k, bt, pt)
		}
		if !SupportedKeyType(bt) {
			return nil, fmt.Errorf("creating hash join: key %d: unsupported key type %s", k, bt)
		}
		keyTypes[k] = bt
	}
	spec.BuildKeys = append([]int(nil), spec.BuildKeys...)
	spec.ProbeKeys = append([]int(nil), spec.ProbeKeys...)
	return &HashJoin{spec: spec, core: core, index: newKeyIndex(keyTypes)}, nil
}

// Schema is the output schema.
func (j *HashJoin) Schema() *arrow.Schema { return j.spec.OutSchema }

// Open prepares a run; a HashJoin can be reopened after Close.
func (j *HashJoin) Open(_ context.Context, mem memory.Allocator) error {
	j.core.open(mem)
	j.dup, j.nullBuildRows, j.buildAllNull, j.buildKeyCols = nil, nil, false, nil
	return nil
}

// ProcessBatch buffers a build batch (input 0) or joins a probe batch
// (input 1).
func (j *HashJoin) ProcessBatch(_ context.Context, input int, b arrow.RecordBatch, emit Emit) error {
	switch input {
	case 0:
		return j.core.addBuild(b)
	case 1:
		if err := j.core.checkProbe(b); err != nil {
			return err
		}
		return j.probe(b, emit)
	}
	return fmt.Errorf("processing hash join input %d: no such input", input)
}

// EndOfInput builds the hash table when the build side ends, and emits the
// unmatched build rows of Right and Full joins when the probe side ends.
func (j *HashJoin) EndOfInput(_ context.Context, input int, emit Emit) error {
	switch input {
	case 0:
		if err := j.core.finishBuild(); err != nil {
			return err
		}
		return j.buildIndex()
	case 1:
		err := j.core.finishProbe(emit)
		j.dup, j.nullBuildRows, j.buildKeyCols = nil, nil, nil
		return err
	}
	return fmt.Errorf("ending hash join input %d: no such input", input)
}

// Close releases everything the join holds.
func (j *HashJoin) Close() error {
	j.core.release()
	j.dup, j.first, j.nullBuildRows, j.buildKeyCols = nil, nil, nil, nil
	return nil
}

func (j *HashJoin) buildIndex() error {
	n := j.core.buildRows
	j.buildKeyCols = make([]arrow.Array, len(j.spec.BuildKeys))
	for k, c := range j.spec.BuildKeys {
		j.buildKeyCols[k] = j.core.buildCols[c]
	}
	j.dup = make([]int32, n)
	if err := j.index.build(j.buildKeyCols, n, j.dup); err != nil {
		return fmt.Errorf("building hash table: %w", err)
	}
	if j.spec.NullAware {
		for r := range n {
			if anyKeyNull(j.buildKeyCols, r) {
				j.nullBuildRows = append(j.nullBuildRows, int32(r))
				if allKeysNull(j.buildKeyCols, r) {
					j.buildAllNull = true
				}
			}
		}
	}
	return nil
}

// probe joins one probe batch.
func (j *HashJoin) probe(b arrow.RecordBatch, emit Emit) error {
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	c := &j.core
	if c.buildRows == 0 {
		switch {
		case c.kind.padsBuild():
			return c.padAllProbe(b, emit)
		case c.kind == JoinAnti:
			return c.emitAllProbe(b, emit)
		}
		return nil
	}
	cols := b.Columns()
	j.probeKeyCols = j.probeKeyCols[:0]
	for _, k := range j.spec.ProbeKeys {
		j.probeKeyCols = append(j.probeKeyCols, cols[k])
	}
	if cap(j.first) < n {
		j.first = make([]int32, n)
	}
	first := j.first[:n]
	if err := j.index.probe(j.probeKeyCols, first); err != nil {
		return fmt.Errorf("probing hash table: %w", err)
	}
	switch {
	case j.spec.NullAware:
		return j.probeNullAware(b, first, emit)
	case j.spec.Residual != nil:
		return j.probeResidual(b, first, emit)
	case c.kind == JoinSemi || c.kind == JoinAnti:
		c.sel = selectMatched(c.sel, first, c.kind == JoinSemi)
		return c.emitSelected(b, c.sel, emit)
	}
	return j.probePairs(cols, first, emit)
}

// selectMatched returns (in sel's storage) the rows i with first[i] >= 0
// (want true) or first[i] < 0 (want false), without branching per row.
func selectMatched(sel, first []int32, want bool) []int32 {
	if cap(sel) < len(first) {
		sel = make([]int32, len(first))
	}
	sel = sel[:len(first)]
	flip := uint32(0)
	if !want {
		flip = 1
	}
	n := 0
	for i, f := range first {
		sel[n] = int32(i)
		n += int((^uint32(f) >> 31) ^ flip)
	}
	return sel[:n]
}

// probePairs emits the pairs of an Inner, Left, Right or Full join without
// a residual, where every key match joins. Row i's first pair is
// (i, first[i]), which for an unmatched row of a Left or Full join is
// exactly its padded row (i, -1); the loop avoids branching on that.
func (j *HashJoin) probePairs(cols []arrow.Array, first []int32, emit Emit) error {
	c := &j.core
	dup, bm := j.dup, c.buildMatched
	keepMiss := uint32(0)
	if c.kind.padsBuild() {
		keepMiss = 1
	}
	if cap(c.outP) < BatchSize {
		c.outP, c.outB = make([]int32, 0, BatchSize), make([]int32, 0, BatchSize)
	}
	outP, outB := c.outP[:BatchSize], c.outB[:BatchSize]
	k := len(c.outP)
	flush := func() error {
		c.outP, c.outB = outP[:k], outB[:k]
		k = 0
		return c.flushOut(cols, emit)
	}
	for i, f := range first {
		outP[k], outB[k] = int32(i), f
		k += int((^uint32(f) >> 31) | keepMiss)
		if k == BatchSize {
			if err := flush(); err != nil {
				return err
			}
		}
		if f < 0 {
			continue
		}
		if bm != nil {
			bm[f] = true
		}
		for r := dup[f] - 1; r >= 0; r = dup[r] - 1 {
			if bm != nil {
				bm[r] = true
			}
			outP[k], outB[k] = int32(i), r
			k++
			if k == BatchSize {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// probeResidual joins a probe batch when a residual condition filters the
// key matches.
func (j *HashJoin) probeResidual(b arrow.RecordBatch, first []int32, emit Emit) error {
	c := &j.core
	cols := b.Columns()
	c.resetProbeMatched(len(first))
	for i, f := range first {
		for r := f; r >= 0; r = j.dup[r] - 1 {
			if err := c.addCandidate(int32(i), r, cols, false, emit); err != nil {
				return err
			}
		}
	}
	if err := c.evalCandidates(cols, false, emit); err != nil {
		return err
	}
	return j.finishBatch(b, emit)
}

// finishBatch emits what a probe batch yields once all its matches are
// known: padded unmatched rows (Left, Full) or the selected rows (Semi,
// Anti).
func (j *HashJoin) finishBatch(b arrow.RecordBatch, emit Emit) error {
	c := &j.core
	cols := b.Columns()
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

// probeNullAware runs NOT IN over a probe batch; the build side is not
// empty. A probe row is rejected (marked matched) if some build row's keys
// compare TRUE or NULL with its own and, with a residual, the residual is
// TRUE for the pair.
func (j *HashJoin) probeNullAware(b arrow.RecordBatch, first []int32, emit Emit) error {
	c := &j.core
	cols := b.Columns()
	pk, bk := j.probeKeyCols, j.buildKeyCols
	c.resetProbeMatched(len(first))
	if j.spec.Residual == nil {
		if j.buildAllNull {
			return nil // every comparison is NULL or TRUE: no row passes
		}
		for i, f := range first {
			switch {
			case f >= 0:
				c.probeMatched[i] = true
			case anyKeyNull(pk, i):
				if len(pk) == 1 {
					c.probeMatched[i] = true
					break
				}
				for r := range c.buildRows {
					if keysMaybeEqual(pk, i, bk, r) {
						c.probeMatched[i] = true
						break
					}
				}
			default:
				for _, r := range j.nullBuildRows {
					if keysMaybeEqual(pk, i, bk, int(r)) {
						c.probeMatched[i] = true
						break
					}
				}
			}
		}
		return c.emitProbeRows(b, false, emit)
	}
	for i, f := range first {
		if f >= 0 {
			for r := f; r >= 0; r = j.dup[r] - 1 {
				if err := c.addCandidate(int32(i), r, cols, false, emit); err != nil {
					return err
				}
			}
		}
		if anyKeyNull(pk, i) {
			for r := range int32(c.buildRows) {
				if keysMaybeEqual(pk, i, bk, int(r)) {
					if err := c.addCandidate(int32(i), r, cols, false, emit); err != nil {
						return err
					}
				}
			}
			continue
		}
		for _, r := range j.nullBuildRows {
			if keysMaybeEqual(pk, i, bk, int(r)) {
				if err := c.addCandidate(int32(i), r, cols, false, emit); err != nil {
					return err
				}
			}
		}
	}
	if err := c.evalCandidates(cols, false, emit); err != nil {
		return err
	}
	return c.emitProbeRows(b, false, emit)
}
