package expr

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Row-at-a-time helpers for kernels that are not worth a hand-tuned loop:
// f runs only on rows where every input is valid; its error aborts the
// evaluation. Output validity is the AND of the inputs'.

// mapUnary applies f to the valid rows of x.
func mapUnary[A, R arrow.FixedWidthType](mem memory.Allocator, x arrow.Array, dt arrow.DataType, f func(A) (R, error)) (arrow.Array, error) {
	n := x.Len()
	valid := copyValidity(mem, x)
	src := values[A](x)
	buf, out := newFixed[R](mem, n)
	vb := bitsOf(valid)
	for i, v := range src {
		if vb != nil && !bitutil.BitIsSet(vb, i) {
			var zero R
			out[i] = zero
			continue
		}
		r, err := f(v)
		if err != nil {
			releaseBufs(buf, valid)
			return nil, err
		}
		out[i] = r
	}
	return finish(dt, n, array.UnknownNullCount, valid, buf), nil
}

// mapBinary applies f to the rows of x and y that are both valid.
func mapBinary[A, B, R arrow.FixedWidthType](mem memory.Allocator, x, y arrow.Array, dt arrow.DataType, f func(A, B) (R, error)) (arrow.Array, error) {
	n := x.Len()
	valid := andValidity(mem, n, x, y)
	a, b := values[A](x), values[B](y)
	buf, out := newFixed[R](mem, n)
	vb := bitsOf(valid)
	for i := range out {
		if vb != nil && !bitutil.BitIsSet(vb, i) {
			var zero R
			out[i] = zero
			continue
		}
		r, err := f(a[i], b[i])
		if err != nil {
			releaseBufs(buf, valid)
			return nil, err
		}
		out[i] = r
	}
	return finish(dt, n, array.UnknownNullCount, valid, buf), nil
}

// mapConst applies f(x[i], c) to the valid rows of x.
func mapConst[A, B, R arrow.FixedWidthType](mem memory.Allocator, x arrow.Array, c B, dt arrow.DataType, f func(A, B) (R, error)) (arrow.Array, error) {
	return mapUnary(mem, x, dt, func(v A) (R, error) { return f(v, c) })
}

func releaseBufs(bufs ...*memory.Buffer) {
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
}

// validAt reports whether row i is valid in bitmap bm (nil: all valid).
func validAt(bm []byte, i int) bool { return bm == nil || bitutil.BitIsSet(bm, i) }

// mapRows calls f(i) for every row where all of in (nil entries skipped)
// are valid, collecting the results.
func mapRows[R arrow.FixedWidthType](mem memory.Allocator, n int, in []arrow.Array, dt arrow.DataType, f func(i int) (R, error)) (arrow.Array, error) {
	valid := andValidity(mem, n, in...)
	vb := bitsOf(valid)
	buf, out := newFixed[R](mem, n)
	var zero R
	for i := range out {
		if vb != nil && !bitutil.BitIsSet(vb, i) {
			out[i] = zero
			continue
		}
		r, err := f(i)
		if err != nil {
			releaseBufs(buf, valid)
			return nil, err
		}
		out[i] = r
	}
	return finish(dt, n, array.UnknownNullCount, valid, buf), nil
}
