package expr

import (
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// Low-level helpers for building arrays from raw buffers. Every kernel
// reads value slices directly and writes preallocated output buffers.

// allocator is ctx's allocator, or Go's when none is set.
func allocator(ctx *Context) memory.Allocator {
	if ctx == nil || ctx.Mem == nil {
		return memory.DefaultAllocator
	}
	return ctx.Mem
}

// values returns the offset-adjusted fixed-width values of arr.
func values[T arrow.FixedWidthType](arr arrow.Array) []T {
	return arrow.GetValues[T](arr.Data(), 1)
}

// newFixed allocates a value buffer for n fixed-width values (contents
// undefined) and returns it with its typed view.
func newFixed[T arrow.FixedWidthType](mem memory.Allocator, n int) (*memory.Buffer, []T) {
	var zero T
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(n * int(unsafe.Sizeof(zero)))
	return buf, arrow.GetData[T](buf.Bytes())[:n:n]
}

// newBitmap allocates a zeroed bitmap of n bits.
func newBitmap(mem memory.Allocator, n int) (*memory.Buffer, []byte) {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	b := buf.Bytes()
	clear(b)
	return buf, b
}

// finish wraps buffers (validity may be nil) into an array of type dt,
// taking over the caller's references to them. nulls may be
// array.UnknownNullCount; it is then counted here.
func finish(dt arrow.DataType, n int, nulls int, bufs ...*memory.Buffer) arrow.Array {
	switch {
	case bufs[0] == nil:
		nulls = 0
	case nulls == array.UnknownNullCount:
		// Count now: Arrow's lazy count would write to the array on first
		// use, a data race when readers share it.
		nulls = n - bitutil.CountSetBits(bufs[0].Bytes(), 0, n)
	}
	data := array.NewData(dt, n, bufs, nil, nulls, 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	arr := array.MakeFromData(data)
	data.Release()
	return arr
}

// isAllNull reports whether arr has no valid rows (including NULL-typed
// arrays, which have no bitmap).
func isAllNull(arr arrow.Array) bool {
	return arr.Len() > 0 && arr.NullN() == arr.Len()
}

// validity returns arr's validity bitmap and bit offset, or nil when every
// row is valid. NULL-typed arrays, which have no bitmap, get an all-unset
// scratch one.
func validity(arr arrow.Array) ([]byte, int) {
	if arr.NullN() == 0 {
		return nil, 0
	}
	bm := arr.NullBitmapBytes()
	if bm == nil {
		return zeroBits(arr.Len()), 0
	}
	return bm, arr.Data().Offset()
}

// zeroBits is a scratch all-zero bitmap of at least n bits (read-only).
func zeroBits(n int) []byte { return make([]byte, bitutil.BytesForBits(int64(n))) }

// copyValidity returns a validity buffer for an output with the same NULLs
// as arr (nil when none), sharing arr's buffer when it is not offset.
func copyValidity(mem memory.Allocator, arr arrow.Array) *memory.Buffer {
	if arr.NullN() == 0 {
		return nil
	}
	if buf := arr.Data().Buffers()[0]; buf != nil && arr.Data().Offset() == 0 {
		buf.Retain()
		return buf
	}
	n := arr.Len()
	out, bits := newBitmap(mem, n)
	if bm, off := validity(arr); bm != nil {
		bitutil.CopyBitmap(bm, off, n, bits, 0)
	}
	return out
}

// andValidity returns the AND of the validities of arrs (all of length n),
// nil when every row of every array is valid.
func andValidity(mem memory.Allocator, n int, arrs ...arrow.Array) *memory.Buffer {
	var with []arrow.Array
	for _, a := range arrs {
		if a != nil && a.NullN() > 0 {
			with = append(with, a)
		}
	}
	switch len(with) {
	case 0:
		return nil
	case 1:
		return copyValidity(mem, with[0])
	}
	out, bits := newBitmap(mem, n)
	for i, a := range with {
		bm, off := validity(a)
		if i == 0 {
			bitutil.CopyBitmap(bm, off, n, bits, 0)
			continue
		}
		bitutil.BitmapAnd(bits, bm, 0, int64(off), bits, 0, int64(n))
	}
	return out
}

// bitsOf returns the bytes of a validity buffer (nil for nil).
func bitsOf(buf *memory.Buffer) []byte {
	if buf == nil {
		return nil
	}
	return buf.Bytes()
}

// setNull clears bit i of a validity buffer, creating it (all valid) first
// when *valid is nil.
func setNull(mem memory.Allocator, valid **memory.Buffer, n, i int) {
	if *valid == nil {
		buf, bits := newBitmap(mem, n)
		bitutil.SetBitsTo(bits, 0, int64(n), true)
		*valid = buf
	}
	bitutil.ClearBit((*valid).Bytes(), i)
}

// b2u converts a bool to 0 or 1 without a branch.
func b2u(b bool) byte { return *(*byte)(unsafe.Pointer(&b)) }

// strData returns a string array's offsets (offset-adjusted, n+1 of them)
// and its whole data buffer as a string, for zero-copy slicing.
func strData(a *array.String) ([]int32, string) {
	if a.Len() == 0 {
		return []int32{0}, ""
	}
	offs := a.ValueOffsets()
	var data []byte
	if buf := a.Data().Buffers()[2]; buf != nil {
		data = buf.Bytes()
	}
	return offs, unsafe.String(unsafe.SliceData(data), len(data))
}

// strBytes is the number of data bytes a string array's rows span.
func strBytes(a *array.String) int {
	offs, _ := strData(a)
	return int(offs[len(offs)-1] - offs[0])
}

// strBuilder builds a string array row by row into allocator memory.
// Hot paths write only integer fields (no pointer stores, so no GC write
// barriers); slices change only when the data buffer grows.
type strBuilder struct {
	mem   memory.Allocator
	n     int
	offs  *memory.Buffer
	o     []int32 // n+1 offsets; o[:row+1] are set
	row   int
	data  *memory.Buffer
	d     []byte // the whole data buffer; d[:used] is written
	used  int
	valid *memory.Buffer
}

func newStrBuilder(mem memory.Allocator, n, dataHint int) *strBuilder {
	b := &strBuilder{mem: mem, n: n}
	b.offs, b.o = newFixed[int32](mem, n+1)
	b.o[0] = 0
	b.data = memory.NewResizableBuffer(mem)
	b.data.Reserve(max(dataHint, 64))
	b.d = b.data.Buf()
	return b
}

// grow makes room for k more bytes.
func (b *strBuilder) grow(k int) {
	if b.used+k <= len(b.d) {
		return
	}
	b.data.Reserve(max(2*len(b.d), b.used+k))
	b.d = b.data.Buf()
}

// write appends s to the current row without ending it.
func (b *strBuilder) write(s string) {
	if b.used+len(s) > len(b.d) {
		b.grow(len(s))
	}
	b.used += copy(b.d[b.used:], s)
}

// writeBytes appends s to the current row without ending it.
func (b *strBuilder) writeBytes(s []byte) {
	if b.used+len(s) > len(b.d) {
		b.grow(len(s))
	}
	b.used += copy(b.d[b.used:], s)
}

// endRow ends the current row.
func (b *strBuilder) endRow() {
	if b.row < b.n {
		b.row++
		b.o[b.row] = int32(b.used)
	}
}

// appendString adds a row holding s.
func (b *strBuilder) appendString(s string) {
	b.write(s)
	b.endRow()
}

// appendBytes adds a row holding s.
func (b *strBuilder) appendBytes(s []byte) {
	b.writeBytes(s)
	b.endRow()
}

// appendNull adds a NULL row.
func (b *strBuilder) appendNull() {
	setNull(b.mem, &b.valid, b.n, b.row)
	b.endRow()
}

// setValidity installs a precomputed validity buffer (taking the caller's
// reference); rows appended as NULL later still clear their bits.
func (b *strBuilder) setValidity(v *memory.Buffer) { b.valid = v }

// finish returns the built array (Arrow utf8, for VARCHAR and JSON).
func (b *strBuilder) finish() arrow.Array {
	for b.row < b.n { // defensive: rows never appended read as ''
		b.endRow()
	}
	b.data.ResizeNoShrink(b.used)
	return finish(arrow.BinaryTypes.String, b.n, array.UnknownNullCount, b.valid, b.offs, b.data)
}

// release frees a builder abandoned on error.
func (b *strBuilder) release() {
	for _, buf := range []*memory.Buffer{b.offs, b.data, b.valid} {
		if buf != nil {
			buf.Release()
		}
	}
}

// allNull builds an all-NULL array of type t with n rows.
func allNull(mem memory.Allocator, t types.Type, n int) arrow.Array {
	dt := t.ArrowType()
	switch t.Kind {
	case types.Null:
		return array.NewNull(n)
	case types.Boolean:
		v, _ := newBitmap(mem, n)
		valid, _ := newBitmap(mem, n)
		return finish(dt, n, n, valid, v)
	case types.Varchar, types.JSON:
		offs, o := newFixed[int32](mem, n+1)
		clear(o)
		valid, _ := newBitmap(mem, n)
		return finish(dt, n, n, valid, offs, nil)
	}
	w := dt.(arrow.FixedWidthDataType).BitWidth() / 8
	vals := memory.NewResizableBuffer(mem)
	vals.Resize(n * w)
	clear(vals.Bytes())
	valid, _ := newBitmap(mem, n)
	return finish(dt, n, n, valid, vals)
}

// releaseAll releases every non-nil array.
func releaseAll(arrs []arrow.Array) {
	for _, a := range arrs {
		if a != nil {
			a.Release()
		}
	}
}

// take gathers arr[idx[0]], arr[idx[1]], …; an index of -1 gives NULL.
func take(mem memory.Allocator, arr arrow.Array, idx []int32) (arrow.Array, error) {
	n := len(idx)
	bm, off := validity(arr)
	var valid *memory.Buffer
	var vbits []byte
	if bm != nil || hasNeg(idx) {
		valid, vbits = newBitmap(mem, n)
		for j, i := range idx {
			if i >= 0 && (bm == nil || bitutil.BitIsSet(bm, off+int(i))) {
				bitutil.SetBit(vbits, j)
			}
		}
	}
	dt := arr.DataType()
	switch a := arr.(type) {
	case *array.Null:
		return array.NewNull(n), nil
	case *array.Boolean:
		vb, bits := newBitmap(mem, n)
		for j, i := range idx {
			if i >= 0 && a.Value(int(i)) {
				bitutil.SetBit(bits, j)
			}
		}
		return finish(dt, n, array.UnknownNullCount, valid, vb), nil
	case *array.String:
		offs, data := strData(a)
		size := 0
		for _, i := range idx {
			if i >= 0 {
				size += int(offs[i+1] - offs[i])
			}
		}
		b := newStrBuilder(mem, n, size)
		b.setValidity(valid)
		for _, i := range idx {
			if i < 0 {
				b.appendString("")
				continue
			}
			b.appendString(data[offs[i]:offs[i+1]])
		}
		return b.finish(), nil
	}
	fw, ok := dt.(arrow.FixedWidthDataType)
	if !ok {
		if valid != nil {
			valid.Release()
		}
		return nil, fmt.Errorf("taking rows of %s: unsupported type", dt)
	}
	switch fw.BitWidth() {
	case 32:
		return finish(dt, n, array.UnknownNullCount, valid, takeFixed[int32](mem, arr, idx)), nil
	case 64:
		return finish(dt, n, array.UnknownNullCount, valid, takeFixed[int64](mem, arr, idx)), nil
	case 128:
		return finish(dt, n, array.UnknownNullCount, valid, takeFixed[arrow.MonthDayNanoInterval](mem, arr, idx)), nil
	}
	if valid != nil {
		valid.Release()
	}
	return nil, fmt.Errorf("taking rows of %s: unsupported type", dt)
}

func takeFixed[T arrow.FixedWidthType](mem memory.Allocator, arr arrow.Array, idx []int32) *memory.Buffer {
	src := values[T](arr)
	buf, out := newFixed[T](mem, len(idx))
	var zero T
	for j, i := range idx {
		if i < 0 {
			out[j] = zero
			continue
		}
		out[j] = src[i]
	}
	return buf
}

func hasNeg(idx []int32) bool {
	for _, i := range idx {
		if i < 0 {
			return true
		}
	}
	return false
}
