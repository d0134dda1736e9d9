package file

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// expandDict turns a dictionary of strings into a plain string array in
// one pass over sizes and one over values, with a buffer allocation each.
// ok is false for dictionaries it does not handle (the caller falls back
// to a generic cast).
func expandDict(mem memory.Allocator, d *array.Dictionary) (arrow.Array, bool) {
	values, ok := d.Dictionary().(*array.String)
	if !ok {
		return nil, false
	}
	switch ix := d.Indices().(type) {
	case *array.Int32:
		return expandDictOf(mem, d, values, ix.Int32Values()), true
	case *array.Int64:
		return expandDictOf(mem, d, values, ix.Int64Values()), true
	case *array.Int16:
		return expandDictOf(mem, d, values, ix.Int16Values()), true
	case *array.Int8:
		return expandDictOf(mem, d, values, ix.Int8Values()), true
	case *array.Uint32:
		return expandDictOf(mem, d, values, ix.Uint32Values()), true
	case *array.Uint16:
		return expandDictOf(mem, d, values, ix.Uint16Values()), true
	case *array.Uint8:
		return expandDictOf(mem, d, values, ix.Uint8Values()), true
	}
	return nil, false
}

type index interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32
}

// expandDictOf gathers values[idx[i]] for every row. Dictionary values are
// short and few, so each is copied as one or two 8-byte words from a
// padded copy of the dictionary instead of a memmove call per row; the
// output has 16 spare bytes so a word may run past the value's end.
func expandDictOf[T index](mem memory.Allocator, d *array.Dictionary, values *array.String, idx []T) arrow.Array {
	n := d.Len()
	voff := values.ValueOffsets()
	padded := make([]byte, len(values.ValueBytes())+16)
	copy(padded, values.ValueBytes())
	nulls := d.NullN() > 0
	total := 0
	for i, j := range idx[:n] {
		if nulls && d.IsNull(i) {
			continue
		}
		total += int(voff[j+1] - voff[j])
	}
	offsets := memory.NewResizableBuffer(mem)
	offsets.Resize((n + 1) * arrow.Int32SizeBytes)
	data := memory.NewResizableBuffer(mem)
	data.Resize(total + 16)
	offs := arrow.Int32Traits.CastFromBytes(offsets.Bytes())
	out := data.Bytes()
	pos := int32(0)
	for i, j := range idx[:n] {
		offs[i] = pos
		if nulls && d.IsNull(i) {
			continue
		}
		start, end := voff[j], voff[j+1]
		switch l := end - start; {
		case l <= 8:
			*(*[8]byte)(out[pos:]) = *(*[8]byte)(padded[start:])
		case l <= 16:
			*(*[16]byte)(out[pos:]) = *(*[16]byte)(padded[start:])
		default:
			copy(out[pos:], padded[start:end])
		}
		pos += end - start
	}
	offs[n] = pos
	data.Resize(int(pos))
	var validity *memory.Buffer
	if nulls {
		validity = memory.NewResizableBuffer(mem)
		validity.Resize(int(bitutil.BytesForBits(int64(n))))
		bits := validity.Bytes()
		clear(bits)
		for i := 0; i < n; i++ {
			if d.IsValid(i) {
				bitutil.SetBit(bits, i)
			}
		}
	}
	ad := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{validity, offsets, data}, nil, d.NullN(), 0)
	out2 := array.NewStringData(ad)
	ad.Release()
	offsets.Release()
	data.Release()
	if validity != nil {
		validity.Release()
	}
	return out2
}
