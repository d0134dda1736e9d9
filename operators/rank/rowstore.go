package rank

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
)

// rowStore keeps input rows alive for later emission without copying
// each one: it retains the batches rows arrive in and names rows by ids
// that stay valid until removed. A batch is released when its last row is
// removed; when the held batches hold more than twice the live rows (plus
// a batch), compact copies the live rows into one new batch, so memory
// stays proportional to the live rows at amortized O(1) copying per row.
type rowStore struct {
	mem    memory.Allocator
	schema *arrow.Schema

	batches   []arrow.RecordBatch // held; nil slots are free (freeBatch)
	live      []int               // live rows per held batch
	size      []int64             // bytes per held batch
	freeBatch []int32

	src  []int32 // id → index in batches, -1 for a free id
	row  []int32 // id → row in its batch
	free []int32 // free ids

	cur      arrow.RecordBatch // the batch rows were last added from
	curIdx   int32
	heldRows int
	liveRows int
	bytes    int64
}

func (s *rowStore) init(mem memory.Allocator, schema *arrow.Schema) {
	*s = rowStore{mem: mem, schema: schema, curIdx: -1}
}

// add keeps row r of b (borrowed; retained if needed) and returns its id.
func (s *rowStore) add(b arrow.RecordBatch, r int) int32 {
	if s.cur != b || s.curIdx < 0 {
		s.cur, s.curIdx = b, s.hold(b)
	}
	var id int32
	if n := len(s.free); n > 0 {
		id = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		id = int32(len(s.src))
		s.src, s.row = append(s.src, 0), append(s.row, 0)
	}
	s.src[id], s.row[id] = s.curIdx, int32(r)
	s.live[s.curIdx]++
	s.liveRows++
	return id
}

// hold retains b as a held batch and returns its index.
func (s *rowStore) hold(b arrow.RecordBatch) int32 {
	b.Retain()
	var bi int32
	if n := len(s.freeBatch); n > 0 {
		bi = s.freeBatch[n-1]
		s.freeBatch = s.freeBatch[:n-1]
		s.batches[bi], s.live[bi] = b, 0
	} else {
		bi = int32(len(s.batches))
		s.batches, s.live, s.size = append(s.batches, b), append(s.live, 0), append(s.size, 0)
	}
	var sz int64
	for _, c := range b.Columns() {
		sz += arrayBytes(c.Data())
	}
	s.size[bi] = sz
	s.bytes += sz
	s.heldRows += int(b.NumRows())
	return bi
}

// remove forgets row id, releasing its batch if no other row needs it.
func (s *rowStore) remove(id int32) {
	bi := s.src[id]
	s.src[id] = -1
	s.free = append(s.free, id)
	s.liveRows--
	s.live[bi]--
	if s.live[bi] == 0 {
		s.dropBatch(bi)
	}
}

func (s *rowStore) dropBatch(bi int32) {
	b := s.batches[bi]
	s.heldRows -= int(b.NumRows())
	s.bytes -= s.size[bi]
	b.Release()
	s.batches[bi] = nil
	s.freeBatch = append(s.freeBatch, bi)
	if s.curIdx == bi {
		s.cur, s.curIdx = nil, -1
	}
}

// gather builds a batch (of the input schema, owned by the caller) of the
// rows ids, in order.
func (s *rowStore) gather(ids []int32) (arrow.RecordBatch, error) {
	bi := make([]int32, len(ids))
	ri := make([]int32, len(ids))
	for k, id := range ids {
		bi[k], ri[k] = s.src[id], s.row[id]
	}
	return gatherBatch(s.mem, s.schema, s.batches, bi, ri)
}

// compact copies the live rows into one batch when the held batches have
// grown well beyond them. Ids stay valid.
func (s *rowStore) compact() error {
	if s.heldRows <= 2*s.liveRows+operators.BatchSize {
		return nil
	}
	if s.liveRows == 0 {
		s.releaseBatches()
		return nil
	}
	ids := make([]int32, 0, s.liveRows)
	for id, bi := range s.src {
		if bi >= 0 {
			ids = append(ids, int32(id))
		}
	}
	c, err := s.gather(ids)
	if err != nil {
		return fmt.Errorf("compacting kept rows: %w", err)
	}
	defer c.Release()
	s.releaseBatches()
	bi := s.hold(c)
	s.live[bi] = len(ids)
	for r, id := range ids {
		s.src[id], s.row[id] = bi, int32(r)
	}
	return nil
}

func (s *rowStore) releaseBatches() {
	for _, b := range s.batches {
		if b != nil {
			b.Release()
		}
	}
	s.batches, s.live, s.size, s.freeBatch = s.batches[:0], s.live[:0], s.size[:0], s.freeBatch[:0]
	s.heldRows, s.bytes = 0, 0
	s.cur, s.curIdx = nil, -1
}

// release drops every row.
func (s *rowStore) release() {
	s.releaseBatches()
	s.src, s.row, s.free = nil, nil, nil
	s.liveRows = 0
}
