package file

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// rawColumn accumulates the payloads of format raw as a VARCHAR column,
// written straight into the Arrow buffers: per row one copy and one
// offset store, where a string builder also checks capacity, grows and
// sets a validity bit (a payload is never NULL, so there is no bitmap).
// Brokers deliver tens of millions of small payloads a second, so this
// per-row work is most of a raw pass-through's cost.
type rawColumn struct {
	mem     *recycler
	offsets *memory.Buffer // nil until the batch's first row
	data    *memory.Buffer
	offs    []int32 // the offsets buffer's memory; offs[:n+1] are set
	bytes   []byte  // the data buffer's memory; its length is what is used
	n       int
	// Sizes for the next batch's buffers: the larger of the last batch's
	// and a decaying high-water mark, so a short batch (the tail of a
	// fetch) does not make the next full one grow by doubling.
	rowsHint, dataHint int
}

func newRawColumn(mem memory.Allocator) *rawColumn { return &rawColumn{mem: newRecycler(mem)} }

// append adds msg (copied) as one row.
func (c *rawColumn) append(msg []byte) {
	if c.n+1 >= len(c.offs) {
		c.growOffsets()
	}
	l := len(c.bytes)
	if l+len(msg) > cap(c.bytes) {
		c.growData(l + len(msg))
	}
	c.bytes = c.bytes[:l+len(msg)]
	copy(c.bytes[l:], msg)
	c.n++
	c.offs[c.n] = int32(len(c.bytes))
}

func (c *rawColumn) growOffsets() {
	if c.offsets == nil {
		c.offsets = memory.NewResizableBuffer(c.mem)
	}
	rows := max(2*c.n, c.rowsHint, 256)
	c.offsets.Reserve((rows + 1) * arrow.Int32SizeBytes)
	c.offs = arrow.Int32Traits.CastFromBytes(c.offsets.Buf())
	c.offs[0] = 0
}

func (c *rawColumn) growData(need int) {
	if c.data == nil {
		c.data = memory.NewResizableBuffer(c.mem)
	}
	l := len(c.bytes)
	c.data.Reserve(max(need, 2*cap(c.bytes), c.dataHint, 4096))
	c.bytes = c.data.Buf()[:l]
}

// flush returns the rows as a column owned by the caller, nil when there
// are none; the next row starts new buffers.
func (c *rawColumn) flush() arrow.Array {
	if c.n == 0 {
		return nil
	}
	c.rowsHint = max(c.n, c.rowsHint-c.rowsHint/8)
	c.dataHint = max(len(c.bytes), c.dataHint-c.dataHint/8)
	if c.data == nil { // only empty payloads
		c.growData(0)
	}
	c.offsets.ResizeNoShrink((c.n + 1) * arrow.Int32SizeBytes)
	c.data.ResizeNoShrink(len(c.bytes))
	d := array.NewData(arrow.BinaryTypes.String, c.n, []*memory.Buffer{nil, c.offsets, c.data}, nil, 0, 0)
	defer d.Release()
	c.release() // d holds the buffers now
	return array.MakeFromData(d)
}

// close drops the batch being built and the buffers kept for the next.
func (c *rawColumn) close() {
	c.release()
	c.mem.close()
}

// release drops the buffers of the batch being built.
func (c *rawColumn) release() {
	if c.offsets != nil {
		c.offsets.Release()
	}
	if c.data != nil {
		c.data.Release()
	}
	c.offsets, c.data, c.offs, c.bytes, c.n = nil, nil, nil, nil, 0
}
