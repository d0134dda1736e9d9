package live

import (
	"encoding/json"
	"strings"

	"github.com/streamsql/streamsql/operators"
)

// resultState is the current result of an EMIT CHANGES query, rebuilt
// from its changelog: inserts add a row, deletes take one back. It holds
// at most max distinct rows; beyond that the oldest are forgotten (a
// windowed query keeps emitting new windows and never retracts closed
// ones, so without a bound the state would grow for ever).
type resultState struct {
	max   int
	rows  map[string]*stateRow
	order []stateRef // insertion order; entries whose seq is stale are skipped
	seq   uint64
}

type stateRow struct {
	values []json.RawMessage
	count  int
	seq    uint64
}

type stateRef struct {
	key string
	seq uint64
}

func newResultState(max int) *resultState {
	return &resultState{max: max, rows: map[string]*stateRow{}}
}

func (s *resultState) len() int { return len(s.rows) }

// apply folds one update of the changelog into the state.
func (s *resultState) apply(u Update) {
	for i, row := range u.Rows {
		key := rowKey(row)
		r := s.rows[key]
		if u.Ops[i] == operators.OpDelete {
			if r != nil {
				if r.count--; r.count == 0 {
					delete(s.rows, key)
				}
			}
			continue
		}
		if r == nil {
			s.seq++
			r = &stateRow{values: row, seq: s.seq}
			s.rows[key] = r
			s.order = append(s.order, stateRef{key: key, seq: s.seq})
		}
		r.count++
	}
	s.evict()
}

// evict forgets the oldest rows beyond max and compacts the order.
func (s *resultState) evict() {
	for len(s.rows) > s.max && len(s.order) > 0 {
		ref := s.order[0]
		s.order = s.order[1:]
		if r := s.rows[ref.key]; r != nil && r.seq == ref.seq {
			delete(s.rows, ref.key)
		}
	}
	if len(s.order) > 2*len(s.rows)+64 {
		kept := s.order[:0:0]
		for _, ref := range s.order {
			if r := s.rows[ref.key]; r != nil && r.seq == ref.seq {
				kept = append(kept, ref)
			}
		}
		s.order = kept
	}
}

// snapshot returns the current rows, oldest first, as inserts.
func (s *resultState) snapshot(columns []string) Update {
	u := Update{Columns: columns, Snapshot: true}
	for _, ref := range s.order {
		r := s.rows[ref.key]
		if r == nil || r.seq != ref.seq {
			continue
		}
		for range r.count {
			u.Rows = append(u.Rows, r.values)
			u.Ops = append(u.Ops, operators.OpInsert)
		}
	}
	return u
}

// rowKey identifies a row by its values.
func rowKey(row []json.RawMessage) string {
	var b strings.Builder
	for _, v := range row {
		b.Write(v)
		b.WriteByte(0) // encoded JSON never holds a raw NUL
	}
	return b.String()
}
