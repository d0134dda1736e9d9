package operators

import (
	"context"
	"fmt"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators/expr"
)

// Filter emits the rows of its input for which a BOOLEAN predicate is true
// (NULL counts as false).
type Filter struct {
	schema *arrow.Schema
	pred   expr.Evaluator
	ectx   *expr.Context

	mem memory.Allocator
	sel []int32
}

var _ Operator = (*Filter)(nil)

// NewFilter returns a filter over batches of schema. ectx may be nil; its
// Mem is replaced by the allocator given to Open.
func NewFilter(schema *arrow.Schema, pred expr.Evaluator, ectx *expr.Context) *Filter {
	return &Filter{schema: schema, pred: pred, ectx: ectx}
}

// Schema implements Operator.
func (f *Filter) Schema() *arrow.Schema { return f.schema }

// Open implements Operator.
func (f *Filter) Open(ctx context.Context, mem memory.Allocator) error {
	f.mem = mem
	f.ectx = filterExprContext(f.ectx, mem)
	return nil
}

// filterExprContext returns a copy of ectx (nil: a zero Context) whose Mem is mem.
func filterExprContext(ectx *expr.Context, mem memory.Allocator) *expr.Context {
	c := expr.Context{}
	if ectx != nil {
		c = *ectx
	}
	if mem != nil {
		c.Mem = mem
	}
	if c.Mem == nil {
		c.Mem = memory.DefaultAllocator
	}
	return &c
}

// ProcessBatch implements Operator. If every row passes, the input itself
// is emitted; if a contiguous run passes, a zero-copy slice; otherwise the
// selected rows are gathered into a new batch (with sortGather, a
// builder-free TakeBatch).
func (f *Filter) ProcessBatch(ctx context.Context, input int, b arrow.RecordBatch, emit Emit) error {
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	if f.mem == nil {
		f.mem = memory.DefaultAllocator
		f.ectx = filterExprContext(f.ectx, nil)
	}
	res, err := f.pred.Eval(f.ectx, b)
	if err != nil {
		return fmt.Errorf("evaluating filter predicate: %w", err)
	}
	defer res.Release()
	if res.Len() != n {
		return fmt.Errorf("evaluating filter predicate: got %d rows, want %d", res.Len(), n)
	}
	var mask *array.Boolean
	switch r := res.(type) {
	case *array.Boolean:
		mask = r
	case *array.Null:
		return nil // all NULL: nothing passes
	default:
		return fmt.Errorf("evaluating filter predicate: got %s, want boolean", res.DataType())
	}
	vbuf := mask.Data().Buffers()[1]
	if vbuf == nil {
		return fmt.Errorf("evaluating filter predicate: boolean result has no values")
	}
	values := vbuf.Bytes()
	off := mask.Data().Offset()
	if mask.NullN() == 0 {
		switch bitutil.CountSetBits(values, off, n) {
		case 0:
			return nil
		case n:
			b.Retain()
			return emit(b)
		}
		f.sel = filterSelect(f.sel[:0], values, nil, off, n)
	} else {
		f.sel = filterSelect(f.sel[:0], values, mask.NullBitmapBytes(), off, n)
	}
	sel := f.sel
	switch {
	case len(sel) == 0:
		return nil
	case len(sel) == n:
		b.Retain()
		return emit(b)
	case int(sel[len(sel)-1]-sel[0])+1 == len(sel):
		return emit(b.NewSlice(int64(sel[0]), int64(sel[len(sel)-1])+1))
	}
	out, err := sortGather(f.mem, f.schema, []arrow.RecordBatch{b}, nil, sel)
	if err != nil {
		return fmt.Errorf("filtering batch: %w", err)
	}
	return emit(out)
}

// filterSelect appends to sel the positions i in [0, n) whose bit
// off+i is set in values and, when valid is not nil, in valid too.
func filterSelect(sel []int32, values, valid []byte, off, n int) []int32 {
	vr := bitutil.NewBitmapWordReader(values, off, n)
	var nr *bitutil.BitmapWordReader
	if valid != nil {
		nr = bitutil.NewBitmapWordReader(valid, off, n)
	}
	base := int32(0)
	for range vr.Words() {
		w := vr.NextWord()
		if nr != nil {
			w &= nr.NextWord()
		}
		for w != 0 {
			sel = append(sel, base+int32(bits.TrailingZeros64(w)))
			w &= w - 1
		}
		base += 64
	}
	for range vr.TrailingBytes() {
		v, _ := vr.NextTrailingByte()
		if nr != nil {
			m, _ := nr.NextTrailingByte()
			v &= m
		}
		for v != 0 {
			sel = append(sel, base+int32(bits.TrailingZeros8(v)))
			v &= v - 1
		}
		base += 8
	}
	return sel
}

// EndOfInput implements Operator.
func (f *Filter) EndOfInput(ctx context.Context, input int, emit Emit) error { return nil }

// Close implements Operator.
func (f *Filter) Close() error {
	f.sel = nil
	return nil
}
