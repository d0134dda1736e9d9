package expr

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/streamsql/streamsql/planner/types"
)

// Boolean logic, NULL tests and the conditional functions.

func registerLogicKernels() {
	kernels["and"] = logicFactory(false)
	kernels["or"] = logicFactory(true)
	kernels["not"] = notFactory
	kernels["is_null"] = nullTestFactory(true)
	kernels["is_not_null"] = nullTestFactory(false)
	kernels["coalesce"] = coalesceFactory
	kernels["nullif"] = nullifFactory
	kernels["greatest"] = extremeFactory(opGt)
	kernels["least"] = extremeFactory(opLt)
}

// logicEval is AND / OR with three-valued logic. When the right operand
// might fail it runs only on the rows the left one does not decide, so
// `x <> 0 AND 10 / x > 1` is safe as in Postgres.
type logicEval struct {
	a, b      Evaluator
	or        bool
	selective bool
}

func (e *logicEval) Type() types.Type { return types.BooleanType }

func logicFactory(or bool) factory {
	return func(c *callInfo) (Evaluator, error) {
		for i := range c.args {
			if c.types[i].Kind == types.Null {
				c.args[i] = &constEval{t: types.BooleanType}
			}
		}
		a, b := c.args[0], c.args[1]
		if v, ok := constOf(a); ok && v != nil {
			// TRUE AND b = b, FALSE AND b = FALSE; dually for OR.
			if v.(bool) == or {
				return &constEval{v: or, t: types.BooleanType}, nil
			}
			return b, nil
		}
		if v, ok := constOf(b); ok && v != nil && !canFail(a) {
			if v.(bool) == or {
				return &constEval{v: or, t: types.BooleanType}, nil
			}
			return a, nil
		}
		return &logicEval{a: a, b: b, or: or, selective: canFail(b)}, nil
	}
}

// boolBits returns the value and validity bitmaps of a boolean (or
// NULL-typed) array aligned to bit 0; valid is nil when all rows are valid.
func boolBits(arr arrow.Array) (vals, valid []byte) {
	n := arr.Len()
	nb := int(bitutil.BytesForBits(int64(n)))
	if n == 0 {
		return []byte{}, nil
	}
	if arr.DataType().ID() == arrow.NULL {
		z := make([]byte, nb)
		return z, z
	}
	off := arr.Data().Offset()
	align := func(bm []byte) []byte {
		if off%8 == 0 {
			return bm[off/8 : off/8+nb]
		}
		out := make([]byte, nb)
		bitutil.CopyBitmap(bm, off, n, out, 0)
		return out
	}
	vals = align(arr.Data().Buffers()[1].Bytes())
	if arr.NullN() > 0 {
		valid = align(arr.NullBitmapBytes())
	}
	return vals, valid
}

func (e *logicEval) Eval(ctx *Context, b arrow.RecordBatch) (arrow.Array, error) {
	mem := allocator(ctx)
	left, err := e.a.Eval(ctx, b)
	if err != nil {
		return nil, err
	}
	defer left.Release()
	n := left.Len()
	av, aok := boolBits(left)
	var bv, bok []byte
	if !e.selective {
		right, err := e.b.Eval(ctx, b)
		if err != nil {
			return nil, err
		}
		defer right.Release()
		bv, bok = boolBits(right)
	} else {
		// Rows where the left side decides: FALSE for AND, TRUE for OR.
		var need []int32
		for i := 0; i < n; i++ {
			known := validAt(aok, i) && bitutil.BitIsSet(av, i) == e.or
			if !known {
				need = append(need, int32(i))
			}
		}
		nb := len(av)
		bv, bok = make([]byte, nb), make([]byte, nb)
		bitutil.SetBitsTo(bok, 0, int64(n), true) // undecided rows are overwritten below
		if len(need) > 0 {
			right, err := evalRows(ctx, e.b, b, need)
			if err != nil {
				return nil, err
			}
			rv, rok := boolBits(right)
			for j, r := range need {
				bitutil.SetBitTo(bv, int(r), bitutil.BitIsSet(rv, j))
				bitutil.SetBitTo(bok, int(r), validAt(rok, j))
			}
			right.Release()
		}
	}
	vb, out := newBitmap(mem, n)
	if aok == nil && bok == nil {
		for i := range out {
			if e.or {
				out[i] = av[i] | bv[i]
			} else {
				out[i] = av[i] & bv[i]
			}
		}
		return finish(arrow.FixedWidthTypes.Boolean, n, 0, nil, vb), nil
	}
	validBuf, valid := newBitmap(mem, n)
	for i := range out {
		ao, bo := byte(0xff), byte(0xff)
		if aok != nil {
			ao = aok[i]
		}
		if bok != nil {
			bo = bok[i]
		}
		if e.or {
			out[i] = av[i] | bv[i]
			valid[i] = (ao & bo) | (ao & av[i]) | (bo & bv[i])
		} else {
			out[i] = av[i] & bv[i]
			valid[i] = (ao & bo) | (ao &^ av[i]) | (bo &^ bv[i])
		}
	}
	return finish(arrow.FixedWidthTypes.Boolean, n, array.UnknownNullCount, validBuf, vb), nil
}

func notFactory(c *callInfo) (Evaluator, error) {
	return newFunc(c, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
		mem, x := allocator(ctx), in[0]
		vb, out := newBitmap(mem, n)
		if n > 0 {
			bitutil.InvertBitmap(x.Data().Buffers()[1].Bytes(), x.Data().Offset(), n, out, 0)
		}
		return finish(arrow.FixedWidthTypes.Boolean, n, array.UnknownNullCount, copyValidity(mem, x), vb), nil
	}), nil
}

func nullTestFactory(isNull bool) factory {
	return func(c *callInfo) (Evaluator, error) {
		return newFunc(c, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
			mem, x := allocator(ctx), in[0]
			vb, out := newBitmap(mem, n)
			switch bm, off := validity(x); {
			case bm == nil:
				bitutil.SetBitsTo(out, 0, int64(n), !isNull)
			case isNull:
				bitutil.InvertBitmap(bm, off, n, out, 0)
			default:
				bitutil.CopyBitmap(bm, off, n, out, 0)
			}
			return finish(arrow.FixedWidthTypes.Boolean, n, 0, nil, vb), nil
		}), nil
	}
}

// nullifFactory: NULL where a = b, else a.
func nullifFactory(c *callInfo) (Evaluator, error) {
	t, err := unifyArgs(c, 0)
	if err != nil {
		return nil, err
	}
	if isNullConst(c.args[1]) {
		return c.args[0], nil
	}
	return newFunc(c, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
		mem := allocator(ctx)
		eq, err := compareArrays(mem, in[0], in[1], t, opEq)
		if err != nil {
			return nil, err
		}
		defer eq.Release()
		ea := eq.(*array.Boolean)
		idx := make([]int32, n)
		for i := range idx {
			idx[i] = int32(i)
			if ea.IsValid(i) && ea.Value(i) {
				idx[i] = -1
			}
		}
		return take(mem, in[0], idx)
	}), nil
}

// extremeFactory builds greatest (op >) and least (op <), skipping NULLs.
func extremeFactory(op cmpOp) factory {
	return func(c *callInfo) (Evaluator, error) {
		t, err := unifyArgs(c, 0)
		if err != nil {
			return nil, err
		}
		return newFunc(c, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
			mem := allocator(ctx)
			best := in[0]
			best.Retain()
			for _, next := range in[1:] {
				better, err := compareArrays(mem, next, best, t, op)
				if err != nil {
					best.Release()
					return nil, err
				}
				ba := better.(*array.Boolean)
				src, idx := make([]int32, n), allRows(n)
				for i := range src {
					switch {
					case next.IsNull(i):
					case best.IsNull(i) || ba.Value(i):
						src[i] = 1
					}
				}
				better.Release()
				merged, err := interleave(mem, t, []arrow.Array{best, next}, src, idx)
				best.Release()
				if err != nil {
					return nil, err
				}
				best = merged
			}
			return best, nil
		}), nil
	}
}
