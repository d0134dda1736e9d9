package timejoin

import (
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
)

// store buffers the rows of one join input, columnar: each input batch
// that contributes rows is kept as a chunk (retained whole when every row
// is kept, else copied down to the kept rows). A buffered row is addressed
// by a slot id that stays valid until the row is killed, so a chunk can be
// compacted (copied down to its live rows) without touching the indexes
// that refer to its rows. Not safe for concurrent use.
type store struct {
	mem        memory.Allocator
	chunks     []*chunk // by index; nil when freed
	freeChunks []int32
	slots      []slotRef // by slot id
	freeSlots  []int32
	marked     []bool  // by slot id: a flag the join keeps per row (matched)
	dirty      []int32 // chunks that lost rows since the last maintain
	seq        int64   // chunks made so far, for arrival order
	bytes      int64   // Arrow buffers of the live chunks
	rows       int     // live rows
}

type chunk struct {
	batch arrow.RecordBatch
	seq   int64   // arrival order of the chunk (compaction keeps it)
	slots []int32 // row → slot id, -1 when the row is dead
	live  int
	bytes int64
	dirty bool
}

type slotRef struct{ chunk, row int32 }

// Chunks below this many rows are not compacted: copying them saves
// little.
const minCompactRows = 64

func newStore(mem memory.Allocator) *store { return &store{mem: mem} }

// add buffers rows (increasing) of b (borrowed) and appends their slot
// ids, in the same order, to slots.
func (s *store) add(b arrow.RecordBatch, rows []int32, slots []int32) ([]int32, error) {
	if len(rows) == 0 {
		return slots, nil
	}
	if len(rows) == int(b.NumRows()) {
		b.Retain()
	} else {
		tb, err := operators.TakeBatch(s.mem, b, rows, nil)
		if err != nil {
			return slots, fmt.Errorf("buffering rows: %w", err)
		}
		b = tb
	}
	c := &chunk{batch: b, seq: s.seq, slots: make([]int32, len(rows)), live: len(rows), bytes: batchBytes(b)}
	s.seq++
	ci := s.newChunk(c)
	for r := range rows {
		id := s.newSlot(slotRef{chunk: ci, row: int32(r)})
		c.slots[r] = id
		slots = append(slots, id)
	}
	s.bytes += c.bytes
	s.rows += len(rows)
	return slots, nil
}

func (s *store) newChunk(c *chunk) int32 {
	if k := len(s.freeChunks); k > 0 {
		ci := s.freeChunks[k-1]
		s.freeChunks = s.freeChunks[:k-1]
		s.chunks[ci] = c
		return ci
	}
	s.chunks = append(s.chunks, c)
	return int32(len(s.chunks) - 1)
}

func (s *store) newSlot(r slotRef) int32 {
	if k := len(s.freeSlots); k > 0 {
		id := s.freeSlots[k-1]
		s.freeSlots = s.freeSlots[:k-1]
		s.slots[id] = r
		s.marked[id] = false
		return id
	}
	s.slots = append(s.slots, r)
	s.marked = append(s.marked, false)
	return int32(len(s.slots) - 1)
}

// at returns the batch and row of a live slot. The batch stays valid
// until the next maintain.
func (s *store) at(slot int32) (arrow.RecordBatch, int32) {
	r := s.slots[slot]
	return s.chunks[r.chunk].batch, r.row
}

// order returns a key that sorts live slots in arrival order.
func (s *store) order(slot int32) (int64, int32) {
	r := s.slots[slot]
	return s.chunks[r.chunk].seq, r.row
}

// kill drops a live slot. Its chunk stays readable until maintain, so rows
// gathered for output may be killed before the output is built.
func (s *store) kill(slot int32) {
	r := s.slots[slot]
	c := s.chunks[r.chunk]
	c.slots[r.row] = -1
	c.live--
	s.rows--
	s.freeSlots = append(s.freeSlots, slot)
	if !c.dirty {
		c.dirty = true
		s.dirty = append(s.dirty, r.chunk)
	}
}

// maintain frees chunks without live rows and compacts chunks that are
// mostly dead. It invalidates batches returned by at.
func (s *store) maintain() error {
	for _, ci := range s.dirty {
		c := s.chunks[ci]
		c.dirty = false
		switch {
		case c.live == 0:
			s.bytes -= c.bytes
			c.batch.Release()
			s.chunks[ci] = nil
			s.freeChunks = append(s.freeChunks, ci)
		case len(c.slots) >= minCompactRows && c.live*4 <= len(c.slots):
			if err := s.compact(c); err != nil {
				return err
			}
		}
	}
	s.dirty = s.dirty[:0]
	return nil
}

// compact copies c down to its live rows.
func (s *store) compact(c *chunk) error {
	rows := make([]int32, 0, c.live)
	for r, id := range c.slots {
		if id >= 0 {
			rows = append(rows, int32(r))
		}
	}
	nb, err := operators.TakeBatch(s.mem, c.batch, rows, nil)
	if err != nil {
		return fmt.Errorf("compacting buffered rows: %w", err)
	}
	slots := make([]int32, len(rows))
	for i, r := range rows {
		id := c.slots[r]
		slots[i] = id
		s.slots[id].row = int32(i)
	}
	c.batch.Release()
	s.bytes -= c.bytes
	c.batch, c.slots, c.bytes = nb, slots, batchBytes(nb)
	s.bytes += c.bytes
	return nil
}

// liveSlots returns every live slot in arrival order.
func (s *store) liveSlots() []int32 {
	cs := make([]*chunk, 0, len(s.chunks))
	for _, c := range s.chunks {
		if c != nil && c.live > 0 {
			cs = append(cs, c)
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].seq < cs[j].seq })
	out := make([]int32, 0, s.rows)
	for _, c := range cs {
		for _, id := range c.slots {
			if id >= 0 {
				out = append(out, id)
			}
		}
	}
	return out
}

// stateBytes estimates the memory of the buffered rows.
func (s *store) stateBytes() int64 {
	const perRow = 12 // slot table and chunk row map
	return s.bytes + int64(s.rows)*perRow
}

// release frees every chunk.
func (s *store) release() {
	for i, c := range s.chunks {
		if c != nil {
			c.batch.Release()
			s.chunks[i] = nil
		}
	}
	*s = store{mem: s.mem}
}

// batchBytes is the size of the Arrow buffers b holds.
func batchBytes(b arrow.RecordBatch) int64 {
	var n int64
	for _, c := range b.Columns() {
		n += dataBytes(c.Data())
	}
	return n
}

func dataBytes(d arrow.ArrayData) int64 {
	var n int64
	for _, buf := range d.Buffers() {
		if buf != nil {
			n += int64(buf.Len())
		}
	}
	for _, ch := range d.Children() {
		n += dataBytes(ch)
	}
	return n
}
