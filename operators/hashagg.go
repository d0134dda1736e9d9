package operators

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators/agg"
	"github.com/streamsql/streamsql/planner/types"
)

// AggSpec describes one aggregate computed by a HashAggregate.
type AggSpec struct {
	// Func is the aggregate function's canonical name: count, sum, avg,
	// min or max (see operators/agg.New for argument and result types).
	Func string
	// Args are the input column indexes of the arguments; empty for
	// COUNT(*). Argument columns must have streamsql's native Arrow types
	// (types.IsNative).
	Args []int
	// Distinct makes the function see each distinct argument value once
	// per group, as in count(DISTINCT x).
	Distinct bool
	// Filter is the input column index of the BOOLEAN column of a FILTER
	// (WHERE …) clause, or -1 for none: only rows where it is TRUE count.
	Filter int
	// Name is the output field name.
	Name string
}

// AggMode selects what a HashAggregate consumes and emits, so an
// aggregation can be split into partial aggregates over parts of the input
// (parallel partitions, hot and cold storage) and a final merge.
type AggMode uint8

const (
	// AggComplete consumes input rows and emits final values.
	AggComplete AggMode = iota
	// AggPartial consumes input rows and emits the group columns followed
	// by each aggregate's partial state columns (see PartialSchema).
	AggPartial
	// AggFinal consumes the output of AggPartial (or AggCombine)
	// aggregates built with the same arguments, from any number of
	// sources, and emits final values.
	AggFinal
	// AggCombine consumes partial states like AggFinal and emits their
	// merged partial states like AggPartial.
	AggCombine
)

var aggModeNames = [...]string{"complete", "partial", "final", "combine"}

func (m AggMode) String() string {
	if int(m) < len(aggModeNames) {
		return aggModeNames[m]
	}
	return fmt.Sprintf("AggMode(%d)", m)
}

// consumesState reports whether the mode's input is partial state.
func (m AggMode) consumesState() bool { return m == AggFinal || m == AggCombine }

// emitsState reports whether the mode's output is partial state.
func (m AggMode) emitsState() bool { return m == AggPartial || m == AggCombine }

// HashAggregate groups its input (one input, index 0) by key columns and
// computes aggregates per group. It emits nothing until EndOfInput(0),
// then all groups in batches of at most BatchSize rows, in order of each
// group's first appearance. Group keys compare NULL equal to NULL. With no
// group columns it emits exactly one row, even for empty input (COUNT(*)
// is 0, SUM is NULL).
type HashAggregate struct {
	mode     AggMode
	in       *arrow.Schema // schema of the batches it consumes
	out      *arrow.Schema
	keyIdx   []int // input columns of the group keys
	aggs     []AggSpec
	argTypes [][]types.Type
	stateIdx [][]int // AggFinal, AggCombine: input columns of each agg's state

	mem      memory.Allocator
	table    *agg.GroupTable
	keys     []array.Builder
	accs     []agg.Accumulator
	keyCols  []arrow.Array
	args     []arrow.Array
	groups   []uint32
	newRows  []int32
	zeros    []uint32
	opened   bool
	finished bool
}

var _ Operator = (*HashAggregate)(nil)

// NewHashAggregate groups input rows by the columns groupCols (indexes into
// the input batch) and computes aggs. Output schema: the group columns
// (named groupNames, with their input types) then one column per agg,
// named AggSpec.Name, of the function's result type.
func NewHashAggregate(input *arrow.Schema, groupCols []int, groupNames []string, aggs []AggSpec) (*HashAggregate, error) {
	return NewHashAggregateMode(input, groupCols, groupNames, aggs, AggComplete)
}

// NewHashAggregateMode is NewHashAggregate with a mode. input, groupCols
// and aggs always describe the original input rows, so the partial and
// the final aggregate of one split aggregation are built with the same
// arguments and differ in mode only.
//
// In AggPartial and AggCombine mode the output is PartialSchema: the group
// columns, then for each agg its state columns, named "<Name>$<k>".
// In AggFinal and AggCombine mode the consumed batches have PartialSchema
// (InputSchema reports it).
func NewHashAggregateMode(input *arrow.Schema, groupCols []int, groupNames []string, aggs []AggSpec, mode AggMode) (*HashAggregate, error) {
	if mode > AggCombine {
		return nil, fmt.Errorf("creating hash aggregate: unknown mode %d", mode)
	}
	if len(groupNames) != len(groupCols) {
		return nil, fmt.Errorf("creating hash aggregate: %d group names for %d group columns", len(groupNames), len(groupCols))
	}
	nf := input.NumFields()
	h := &HashAggregate{mode: mode, in: input, aggs: aggs, keyIdx: make([]int, len(groupCols))}
	keyFields := make([]arrow.Field, len(groupCols))
	keyTypes := make([]arrow.DataType, len(groupCols))
	for i, c := range groupCols {
		if c < 0 || c >= nf {
			return nil, fmt.Errorf("creating hash aggregate: group column %d out of range [0, %d)", c, nf)
		}
		dt := input.Field(c).Type
		keyTypes[i] = dt
		keyFields[i] = arrow.Field{Name: groupNames[i], Type: dt, Nullable: true}
		h.keyIdx[i] = c
	}
	if _, err := agg.NewGroupTable(keyTypes); err != nil {
		return nil, fmt.Errorf("creating hash aggregate: %w", err)
	}
	outFields := append([]arrow.Field(nil), keyFields...)
	partFields := append([]arrow.Field(nil), keyFields...)
	h.argTypes = make([][]types.Type, len(aggs))
	h.stateIdx = make([][]int, len(aggs))
	for j, s := range aggs {
		for _, c := range s.Args {
			if c < 0 || c >= nf {
				return nil, fmt.Errorf("creating hash aggregate %s: argument column %d out of range [0, %d)", s.Name, c, nf)
			}
			dt := input.Field(c).Type
			if !types.IsNative(dt) {
				return nil, fmt.Errorf("creating hash aggregate %s: argument column %d has type %s; cast it to a SQL type first", s.Name, c, dt)
			}
			t, err := types.FromArrow(dt)
			if err != nil {
				return nil, fmt.Errorf("creating hash aggregate %s: %w", s.Name, err)
			}
			h.argTypes[j] = append(h.argTypes[j], t)
		}
		if s.Filter != -1 {
			if s.Filter < 0 || s.Filter >= nf {
				return nil, fmt.Errorf("creating hash aggregate %s: filter column %d out of range [0, %d)", s.Name, s.Filter, nf)
			}
			if dt := input.Field(s.Filter).Type; dt.ID() != arrow.BOOL {
				return nil, fmt.Errorf("creating hash aggregate %s: filter column %d is %s, want BOOLEAN", s.Name, s.Filter, dt)
			}
		}
		acc, rt, err := agg.New(s.Func, h.argTypes[j], s.Distinct)
		if err != nil {
			return nil, fmt.Errorf("creating hash aggregate %s: %w", s.Name, err)
		}
		st := acc.StateTypes()
		acc.Release()
		outFields = append(outFields, arrow.Field{Name: s.Name, Type: rt.ArrowType(), Nullable: true})
		for k, dt := range st {
			h.stateIdx[j] = append(h.stateIdx[j], len(partFields))
			partFields = append(partFields, arrow.Field{Name: fmt.Sprintf("%s$%d", s.Name, k), Type: dt, Nullable: true})
		}
	}
	part := arrow.NewSchema(partFields, nil)
	h.out = arrow.NewSchema(outFields, nil)
	if mode.emitsState() {
		h.out = part
	}
	if mode.consumesState() {
		h.in = part
		for i := range h.keyIdx {
			h.keyIdx[i] = i
		}
	}
	return h, nil
}

// Schema of the emitted batches.
func (h *HashAggregate) Schema() *arrow.Schema { return h.out }

// InputSchema is the schema of the batches the aggregate consumes: the
// input schema given to NewHashAggregateMode, or in AggFinal and
// AggCombine mode the partial schema.
func (h *HashAggregate) InputSchema() *arrow.Schema { return h.in }

// Mode returns the aggregate's mode.
func (h *HashAggregate) Mode() AggMode { return h.mode }

// Open prepares the group table and accumulators.
func (h *HashAggregate) Open(_ context.Context, mem memory.Allocator) error {
	if h.opened {
		return fmt.Errorf("opening hash aggregate: already open")
	}
	h.mem = mem
	h.opened = true
	keyTypes := make([]arrow.DataType, len(h.keyIdx))
	for i, c := range h.keyIdx {
		keyTypes[i] = h.in.Field(c).Type
		h.keys = append(h.keys, array.NewBuilder(mem, keyTypes[i]))
	}
	t, err := agg.NewGroupTable(keyTypes)
	if err != nil {
		return fmt.Errorf("opening hash aggregate: %w", err)
	}
	h.table = t
	for j, s := range h.aggs {
		acc, _, err := agg.New(s.Func, h.argTypes[j], s.Distinct)
		if err != nil {
			return fmt.Errorf("opening hash aggregate: %w", err)
		}
		h.accs = append(h.accs, acc)
		if len(h.keyIdx) == 0 {
			acc.Grow(1)
		}
	}
	return nil
}

// ProcessBatch folds b (borrowed) into the groups.
func (h *HashAggregate) ProcessBatch(_ context.Context, input int, b arrow.RecordBatch, _ Emit) error {
	if input != 0 {
		return fmt.Errorf("processing hash aggregate batch: no input %d", input)
	}
	if !h.opened || h.finished {
		return fmt.Errorf("processing hash aggregate batch: operator not open or input ended")
	}
	if int(b.NumCols()) != h.in.NumFields() {
		return fmt.Errorf("processing hash aggregate batch: got %d columns, want %d", b.NumCols(), h.in.NumFields())
	}
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	groups, err := h.findGroups(b, n)
	if err != nil {
		return err
	}
	for j, acc := range h.accs {
		if err := h.fold(j, acc, b, groups); err != nil {
			return fmt.Errorf("computing aggregate %s: %w", h.aggs[j].Name, err)
		}
	}
	return nil
}

// findGroups maps the rows of b to group ids, recording new groups' keys.
func (h *HashAggregate) findGroups(b arrow.RecordBatch, n int) ([]uint32, error) {
	if len(h.keyIdx) == 0 {
		if len(h.zeros) < n {
			h.zeros = make([]uint32, n)
		}
		return h.zeros[:n], nil
	}
	h.keyCols = h.keyCols[:0]
	for _, c := range h.keyIdx {
		h.keyCols = append(h.keyCols, b.Column(c))
	}
	var err error
	h.groups, h.newRows, err = h.table.Find(h.keyCols, h.groups[:0], h.newRows[:0])
	if err != nil {
		return nil, fmt.Errorf("grouping hash aggregate batch: %w", err)
	}
	if len(h.newRows) == 0 {
		return h.groups, nil
	}
	for i, c := range h.keyCols {
		if err := aggAppendRows(h.keys[i], c, h.newRows); err != nil {
			return nil, fmt.Errorf("grouping hash aggregate batch: %w", err)
		}
	}
	ng := h.table.Len()
	for _, acc := range h.accs {
		acc.Grow(ng)
	}
	return h.groups, nil
}

func (h *HashAggregate) fold(j int, acc agg.Accumulator, b arrow.RecordBatch, groups []uint32) error {
	h.args = h.args[:0]
	if h.mode.consumesState() {
		for _, c := range h.stateIdx[j] {
			h.args = append(h.args, b.Column(c))
		}
		return acc.Merge(groups, h.args)
	}
	s := h.aggs[j]
	for _, c := range s.Args {
		h.args = append(h.args, b.Column(c))
	}
	var filter *array.Boolean
	if s.Filter >= 0 {
		f, ok := b.Column(s.Filter).(*array.Boolean)
		if !ok {
			return fmt.Errorf("reading filter column %d: got %s, want BOOLEAN", s.Filter, b.Column(s.Filter).DataType())
		}
		filter = f
	}
	if len(h.keyIdx) == 0 {
		return acc.UpdateOne(0, int(b.NumRows()), h.args, filter)
	}
	return acc.Update(groups, h.args, filter)
}

// EndOfInput emits the groups.
func (h *HashAggregate) EndOfInput(ctx context.Context, input int, emit Emit) error {
	if input != 0 {
		return fmt.Errorf("ending hash aggregate input: no input %d", input)
	}
	if !h.opened || h.finished {
		return fmt.Errorf("ending hash aggregate input: operator not open or input already ended")
	}
	h.finished = true
	cols := make([]arrow.Array, 0, h.out.NumFields())
	defer func() { releaseAll(cols) }()
	for _, k := range h.keys {
		cols = append(cols, k.NewArray())
	}
	for j, acc := range h.accs {
		if h.mode.emitsState() {
			st, err := acc.State(h.mem)
			if err != nil {
				return fmt.Errorf("computing aggregate %s state: %w", h.aggs[j].Name, err)
			}
			cols = append(cols, st...)
			continue
		}
		r, err := acc.Finalize(h.mem)
		if err != nil {
			return fmt.Errorf("computing aggregate %s: %w", h.aggs[j].Name, err)
		}
		cols = append(cols, r)
	}
	ng := 1
	if len(h.keyIdx) > 0 {
		ng = h.table.Len()
	}
	// The accumulators are no longer needed: free their memory before the
	// downstream operators run.
	h.releaseState()
	if len(cols) != h.out.NumFields() {
		return fmt.Errorf("emitting hash aggregate: built %d columns, schema has %d", len(cols), h.out.NumFields())
	}
	for _, c := range cols {
		if c.Len() != ng {
			return fmt.Errorf("emitting hash aggregate: column of %d rows for %d groups", c.Len(), ng)
		}
	}
	return aggEmitSliced(ctx, h.out, cols, ng, emit)
}

// aggEmitSliced emits n rows of cols (borrowed) in batches of at most
// BatchSize rows.
func aggEmitSliced(ctx context.Context, s *arrow.Schema, cols []arrow.Array, n int, emit Emit) error {
	part := make([]arrow.Array, len(cols))
	for lo := 0; lo < n; lo += BatchSize {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("emitting hash aggregate: %w", err)
		}
		hi := min(lo+BatchSize, n)
		var rec arrow.RecordBatch
		if lo == 0 && hi == n {
			rec = array.NewRecordBatch(s, cols, int64(n))
		} else {
			for i, c := range cols {
				part[i] = array.NewSlice(c, int64(lo), int64(hi))
			}
			rec = array.NewRecordBatch(s, part, int64(hi-lo))
			releaseAll(part)
		}
		if err := emit(rec); err != nil {
			return err
		}
	}
	return nil
}

func (h *HashAggregate) releaseState() {
	for _, k := range h.keys {
		k.Release()
	}
	for _, a := range h.accs {
		a.Release()
	}
	h.keys, h.accs, h.table = nil, nil, nil
	h.groups, h.newRows, h.zeros = nil, nil, nil
}

// Close frees everything the aggregate holds.
func (h *HashAggregate) Close() error {
	h.releaseState()
	return nil
}

// aggAppendRows appends a[rows[0]], a[rows[1]], … (NULLs included) to b,
// which must build a's type.
func aggAppendRows(b array.Builder, a arrow.Array, rows []int32) error {
	ok := false
	switch a := a.(type) {
	case *array.Int64:
		ok = aggAppendRowsOf[int64](b, a, rows)
	case *array.Int32:
		ok = aggAppendRowsOf[int32](b, a, rows)
	case *array.Float64:
		ok = aggAppendRowsOf[float64](b, a, rows)
	case *array.Timestamp:
		ok = aggAppendRowsOf[arrow.Timestamp](b, a, rows)
	case *array.Date32:
		ok = aggAppendRowsOf[arrow.Date32](b, a, rows)
	case *array.MonthDayNanoInterval:
		ok = aggAppendRowsOf[arrow.MonthDayNanoInterval](b, a, rows)
	case *array.Boolean:
		ok = aggAppendRowsOf[bool](b, a, rows)
	case *array.String:
		ok = aggAppendRowsOf[string](b, a, rows)
	case *array.Null:
		b.AppendNulls(len(rows))
		ok = true
	}
	if !ok {
		return fmt.Errorf("appending %s key to %T: unsupported", a.DataType(), b)
	}
	return nil
}

func aggAppendRowsOf[T any](b array.Builder, a valueArray[T], rows []int32) bool {
	vb, ok := b.(valueBuilder[T])
	if !ok {
		return false
	}
	vb.Reserve(len(rows))
	nulls := a.NullN() > 0
	for _, r := range rows {
		if nulls && a.IsNull(int(r)) {
			vb.AppendNull()
			continue
		}
		vb.Append(a.Value(int(r)))
	}
	return true
}
