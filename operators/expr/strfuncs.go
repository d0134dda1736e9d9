package expr

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// A small framework for strict row-at-a-time functions of VARCHAR and
// BIGINT arguments: constants are read directly (never broadcast), rows
// with a NULL input are NULL without calling the function.

type strArg struct {
	offs    []int32
	data    string
	c       string
	isConst bool
}

type intArg struct {
	v       []int64
	c       int64
	isConst bool
}

// rowArgs reads the arguments of the current row.
type rowArgs struct {
	strs []strArg
	ints []intArg
	row  int
}

func (r *rowArgs) str(k int) string {
	a := &r.strs[k]
	if a.isConst {
		return a.c
	}
	return a.data[a.offs[r.row]:a.offs[r.row+1]]
}

func (r *rowArgs) int(k int) int64 {
	a := &r.ints[k]
	if a.isConst {
		return a.c
	}
	return a.v[r.row]
}

// rowKernel prepares rowArgs from a call's arguments: it evaluates the
// non-constant ones and computes the rows where all inputs are valid.
type rowKernel struct {
	c      *callInfo
	consts []any
	isC    []bool
}

func newRowKernel(c *callInfo) *rowKernel {
	k := &rowKernel{c: c, consts: make([]any, len(c.args)), isC: make([]bool, len(c.args))}
	for i, a := range c.args {
		k.consts[i], k.isC[i] = constOf(a)
	}
	return k
}

// evalArgs returns the evaluator list with constants removed.
func (k *rowKernel) evalArgs() []Evaluator {
	args := make([]Evaluator, len(k.c.args))
	for i, a := range k.c.args {
		if !k.isC[i] {
			args[i] = a
		}
	}
	return args
}

func (k *rowKernel) bind(mem memory.Allocator, n int, in []arrow.Array) (*rowArgs, *memory.Buffer) {
	r := &rowArgs{strs: make([]strArg, len(in)), ints: make([]intArg, len(in))}
	for i, a := range in {
		t := k.c.types[i]
		switch {
		case k.isC[i] && t.IsString():
			r.strs[i] = strArg{c: k.consts[i].(string), isConst: true}
		case k.isC[i] && t.IsInteger():
			v, _ := asInt64(k.consts[i])
			r.ints[i] = intArg{c: v, isConst: true}
		case t.IsString():
			offs, data := strData(a.(*array.String))
			r.strs[i] = strArg{offs: offs, data: data}
		case t.Kind == types.Bigint:
			r.ints[i] = intArg{v: values[int64](a)}
		case t.Kind == types.Integer:
			v32 := values[int32](a)
			v := make([]int64, len(v32))
			for j, x := range v32 {
				v[j] = int64(x)
			}
			r.ints[i] = intArg{v: v}
		}
	}
	return r, andValidity(mem, n, in...)
}

// strToStr builds a strict VARCHAR-valued kernel; f appends exactly one
// row to out, or returns an error.
func strToStr(c *callInfo, f func(r *rowArgs, out *strBuilder) error) Evaluator {
	return strToStrPer(c, func() func(r *rowArgs, out *strBuilder) error { return f })
}

// strToStrPer is strToStr with per-evaluation state: mk runs once per
// Eval (evaluators are shared between goroutines, so caches live there).
func strToStrPer(c *callInfo, mk func() func(r *rowArgs, out *strBuilder) error) Evaluator {
	k := newRowKernel(c)
	return newFuncArgs(c, k.evalArgs(), func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
		f := mk()
		mem := allocator(ctx)
		r, valid := k.bind(mem, n, in)
		hint := 0
		for _, a := range in {
			if a != nil && a.DataType().ID() == arrow.STRING {
				hint += strBytes(a.(*array.String))
			}
		}
		out := newStrBuilder(mem, n, hint)
		out.setValidity(valid)
		vb := bitsOf(valid)
		for r.row = 0; r.row < n; r.row++ {
			if vb != nil && !bitutil.BitIsSet(vb, r.row) {
				out.appendString("")
				continue
			}
			if err := f(r, out); err != nil {
				out.release()
				return nil, err
			}
		}
		return out.finish(), nil
	})
}

// strToInt builds a strict BIGINT-valued kernel.
func strToInt(c *callInfo, f func(r *rowArgs) (int64, error)) Evaluator {
	k := newRowKernel(c)
	return newFuncArgs(c, k.evalArgs(), func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
		mem := allocator(ctx)
		r, valid := k.bind(mem, n, in)
		buf, out := newFixed[int64](mem, n)
		vb := bitsOf(valid)
		for r.row = 0; r.row < n; r.row++ {
			if vb != nil && !bitutil.BitIsSet(vb, r.row) {
				out[r.row] = 0
				continue
			}
			v, err := f(r)
			if err != nil {
				releaseBufs(buf, valid)
				return nil, err
			}
			out[r.row] = v
		}
		return finish(arrow.PrimitiveTypes.Int64, n, array.UnknownNullCount, valid, buf), nil
	})
}

// strToBool builds a strict BOOLEAN-valued kernel.
func strToBool(c *callInfo, f func(r *rowArgs) (bool, error)) Evaluator {
	return strToBoolPer(c, func() func(r *rowArgs) (bool, error) { return f })
}

// strToBoolPer is strToBool with per-evaluation state (see strToStrPer).
func strToBoolPer(c *callInfo, mk func() func(r *rowArgs) (bool, error)) Evaluator {
	k := newRowKernel(c)
	return newFuncArgs(c, k.evalArgs(), func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
		f := mk()
		mem := allocator(ctx)
		r, valid := k.bind(mem, n, in)
		buf, bits := newBitmap(mem, n)
		vb := bitsOf(valid)
		for r.row = 0; r.row < n; r.row++ {
			if vb != nil && !bitutil.BitIsSet(vb, r.row) {
				continue
			}
			v, err := f(r)
			if err != nil {
				releaseBufs(buf, valid)
				return nil, err
			}
			if v {
				bitutil.SetBit(bits, r.row)
			}
		}
		return finish(arrow.FixedWidthTypes.Boolean, n, array.UnknownNullCount, valid, buf), nil
	})
}

// checkArgs verifies a kernel got the argument kinds it reads.
func checkArgs(c *callInfo, want ...func(types.Type) bool) error {
	for i := range c.args {
		w := want[min(i, len(want)-1)]
		if !w(c.types[i]) {
			return fmt.Errorf("argument %d has unsupported type %s", i+1, c.types[i])
		}
	}
	return nil
}

func isStr(t types.Type) bool { return t.IsString() }
func isInt(t types.Type) bool { return t.IsInteger() }
