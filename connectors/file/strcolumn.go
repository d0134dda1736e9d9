package file

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// strColumn accumulates a VARCHAR column written straight into the Arrow
// buffers: per row one copy and one offset store, where a string builder
// also checks capacity, grows and sets a validity bit. The validity
// bitmap is made at the first NULL, so a column without NULLs (a raw
// payload never is) has none. Brokers deliver tens of millions of small
// payloads a second, so this per-row work is much of a pass-through's
// cost. (Buffers are not recycled across batches: consumers may keep
// strings that alias a released batch's memory.)
type strColumn struct {
	mem     memory.Allocator
	offsets *memory.Buffer // nil until the batch's first row
	data    *memory.Buffer
	valid   *memory.Buffer // nil until the batch's first NULL
	offs    []int32        // the offsets buffer's memory; offs[:n+1] are set
	bytes   []byte         // the data buffer's memory; its length is what is used
	bits    []byte         // the validity buffer's memory
	n       int
	nulls   int
	// Sizes for the next batch's buffers: the larger of the last batch's
	// and a decaying high-water mark, so a short batch (the tail of a
	// fetch) does not make the next full one grow by doubling.
	rowsHint, dataHint int
}

func newStrColumn(mem memory.Allocator) *strColumn { return &strColumn{mem: mem} }

// append adds s (copied) as one row.
func appendStr[T string | []byte](c *strColumn, s T) {
	if c.n+1 >= len(c.offs) {
		c.growOffsets()
	}
	l := len(c.bytes)
	if l+len(s) > cap(c.bytes) {
		c.growData(l + len(s))
	}
	c.bytes = c.bytes[:l+len(s)]
	copy(c.bytes[l:], s)
	if c.bits != nil {
		bitutil.SetBit(c.bits, c.n)
	}
	c.n++
	c.offs[c.n] = int32(len(c.bytes))
}

// appendNull adds a NULL row.
func (c *strColumn) appendNull() {
	if c.n+1 >= len(c.offs) {
		c.growOffsets()
	}
	if c.bits == nil {
		c.growValid()
		bitutil.SetBitsTo(c.bits, 0, int64(c.n), true)
	}
	bitutil.ClearBit(c.bits, c.n)
	c.nulls++
	c.n++
	c.offs[c.n] = int32(len(c.bytes))
}

func (c *strColumn) growOffsets() {
	if c.offsets == nil {
		c.offsets = memory.NewResizableBuffer(c.mem)
	}
	rows := max(2*c.n, c.rowsHint, 256)
	c.offsets.Reserve((rows + 1) * arrow.Int32SizeBytes)
	c.offs = arrow.Int32Traits.CastFromBytes(c.offsets.Buf())
	c.offs[0] = 0
	if c.bits != nil {
		c.growValid()
	}
}

// growValid sizes the validity bitmap for as many rows as the offsets.
func (c *strColumn) growValid() {
	if c.valid == nil {
		c.valid = memory.NewResizableBuffer(c.mem)
	}
	c.valid.Reserve(int(bitutil.BytesForBits(int64(len(c.offs)))))
	c.bits = c.valid.Buf()
}

func (c *strColumn) growData(need int) {
	if c.data == nil {
		c.data = memory.NewResizableBuffer(c.mem)
	}
	// A batch's bytes vary around the last one's: an eighth more spares
	// most batches a doubling (a zeroed allocation and a copy).
	l := len(c.bytes)
	c.data.Reserve(max(need, 2*cap(c.bytes), c.dataHint+c.dataHint/8, 4096))
	c.bytes = c.data.Buf()[:l]
}

// flush returns the rows as a column owned by the caller, nil when there
// are none; the next row starts new buffers.
func (c *strColumn) flush() arrow.Array {
	if c.n == 0 {
		return nil
	}
	c.rowsHint = max(c.n, c.rowsHint-c.rowsHint/8)
	c.dataHint = max(len(c.bytes), c.dataHint-c.dataHint/8)
	if c.data == nil { // only empty strings and NULLs
		c.growData(0)
	}
	c.offsets.ResizeNoShrink((c.n + 1) * arrow.Int32SizeBytes)
	c.data.ResizeNoShrink(len(c.bytes))
	var valid *memory.Buffer
	if c.nulls > 0 {
		size := int(bitutil.BytesForBits(int64(c.n)))
		bitutil.SetBitsTo(c.bits, int64(c.n), int64(size*8-c.n), false) // no stale bits past the rows
		c.valid.ResizeNoShrink(size)
		valid = c.valid
	}
	d := array.NewData(arrow.BinaryTypes.String, c.n, []*memory.Buffer{valid, c.offsets, c.data}, nil, c.nulls, 0)
	defer d.Release()
	c.release() // d holds the buffers now
	return array.MakeFromData(d)
}

// release drops the buffers of the batch being built.
func (c *strColumn) release() {
	for _, b := range []*memory.Buffer{c.offsets, c.data, c.valid} {
		if b != nil {
			b.Release()
		}
	}
	c.offsets, c.data, c.valid, c.offs, c.bytes, c.bits, c.n, c.nulls = nil, nil, nil, nil, nil, nil, 0, 0
}
