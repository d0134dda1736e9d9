package window

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/agg"
	"github.com/streamsql/streamsql/planner/types"
)

// A Global aggregate over an updating input (Spec.OpCol) folds insert rows
// into its accumulators and retracts delete rows from them
// (agg.Retractable), keeping each group's net row count; a group whose
// count drops to 0 is retired: its last result is retracted and nothing
// inserted. Retired groups keep their slot in the group table (it cannot
// delete), so a key that comes back reuses it, starting empty.

// initOpCol checks Spec.OpCol and sets up the changelog input.
func (a *Aggregate) initOpCol() error {
	s := &a.spec
	if s.OpCol < 0 {
		return nil
	}
	nf := s.Input.NumFields()
	if s.OpCol >= nf {
		return fmt.Errorf("op column %d out of range [0, %d)", s.OpCol, nf)
	}
	f := s.Input.Field(s.OpCol)
	if f.Name != operators.OpColumn {
		if s.OpCol == 0 {
			return nil // the zero value of a spec that predates OpCol
		}
		return fmt.Errorf("op column %d is %q, want %q", s.OpCol, f.Name, operators.OpColumn)
	}
	if f.Type.ID() != arrow.STRING {
		return fmt.Errorf("op column %d is %s, want VARCHAR", s.OpCol, f.Type)
	}
	if s.Kind != Global || s.Emit != Changes {
		return fmt.Errorf("an updating input needs a global aggregate with EMIT CHANGES, not %s with %s", s.Kind, s.Emit)
	}
	a.retract = true
	a.projOp = a.use(s.OpCol)
	return nil
}

// newAcc makes the accumulator of an aggregate: retractable over an
// updating input.
func (a *Aggregate) newAcc(name string, argTypes []types.Type, distinct bool) (agg.Accumulator, types.Type, error) {
	if a.retract {
		return agg.NewRetractable(name, argTypes, distinct)
	}
	return agg.New(name, argTypes, distinct)
}

// foldChanges folds the insert rows of the projected batch b into groups
// and retracts its delete rows; it fails before folding anything if an
// op is unknown or a group would lose more rows than it has.
func (s *slice) foldChanges(b arrow.RecordBatch, groups []uint32) error {
	ops, ok := b.Column(s.a.projOp).(*array.String)
	if !ok {
		return fmt.Errorf("reading change operations: got %s, want VARCHAR", b.Column(s.a.projOp).DataType())
	}
	var ins, del []int32
	delta := map[uint32]int64{}
	for i, g := range groups {
		if ops.IsNull(i) {
			return fmt.Errorf("reading change operations: NULL %s", operators.OpColumn)
		}
		switch op := ops.Value(i); op {
		case operators.OpInsert:
			ins = append(ins, int32(i))
			delta[g]++
		case operators.OpDelete:
			del = append(del, int32(i))
			delta[g]--
		default:
			return fmt.Errorf("reading change operations: unknown %s %q", operators.OpColumn, op)
		}
	}
	for g, d := range delta {
		if s.live[g]+d < 0 {
			return fmt.Errorf("retracting rows: %d deletes of a group holding %d rows (a delete of a row never inserted)", -d, s.live[g])
		}
	}
	if len(del) == 0 {
		if err := s.accumulate(b, groups, false); err != nil {
			return err
		}
	} else {
		if err := s.accumulateRows(b, groups, ins, false); err != nil {
			return err
		}
		if err := s.accumulateRows(b, groups, del, true); err != nil {
			return err
		}
	}
	for g, d := range delta {
		s.live[g] += d
		s.touch(g)
	}
	if s.table == nil {
		s.touch(0) // one group, emitted even if the batch was net zero
	}
	return nil
}

// accumulateRows is accumulate over rows of b.
func (s *slice) accumulateRows(b arrow.RecordBatch, groups []uint32, rows []int32, retract bool) error {
	if len(rows) == 0 {
		return nil
	}
	part, err := operators.TakeBatch(s.a.mem, b, rows, nil)
	if err != nil {
		return fmt.Errorf("splitting change rows: %w", err)
	}
	defer part.Release()
	pg := make([]uint32, len(rows))
	for i, r := range rows {
		pg[i] = groups[r]
	}
	return s.accumulate(part, pg, retract)
}

// retireGroups emits the retraction of the last result of each group of
// idx (increasing) whose rows were all retracted and returns the others.
func (a *Aggregate) retireGroups(s *slice, idx []int32, out *outBuf) ([]int32, error) {
	if s.live == nil || s.table == nil {
		return idx, nil
	}
	keep := idx[:0]
	var ids []int64
	for _, g := range idx {
		if s.live[g] > 0 {
			keep = append(keep, g)
			continue
		}
		if r := s.rec[g]; r != 0 {
			ids = append(ids, r)
			s.rec[g] = 0
		}
	}
	if len(ids) == 0 {
		return keep, nil
	}
	old, err := a.recs.gather(a.rowTypes(), ids)
	if err != nil {
		return nil, err
	}
	ops := array.NewStringBuilder(a.mem)
	defer ops.Release()
	for range ids {
		ops.Append(operators.OpDelete)
	}
	for _, id := range ids {
		a.recs.drop(id)
	}
	return keep, out.add(append(old, ops.NewArray()))
}
