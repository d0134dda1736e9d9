package expr

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// Numeric arithmetic. Integer + - * check for overflow ("integer out of
// range" / "bigint out of range", as Postgres); / and % by zero fail with
// "division by zero" for integers and doubles alike. Double overflow to
// ±Infinity is not checked. The fast loops only flag that something may
// be wrong; a second pass over the valid rows finds the real error, so
// garbage under NULL slots never fails a query.

var errDivZero = errors.New("division by zero")

func registerArithKernels() {
	for _, op := range []byte("+-*/%") {
		kernels[string(op)] = arithFactory(op)
	}
	kernels["mod"] = arithFactory('%')
	kernels["neg"] = negFactory
}

func isNumOrNull(t types.Type) bool { return t.IsNumeric() || t.Kind == types.Null }

func arithFactory(op byte) factory {
	return func(c *callInfo) (Evaluator, error) {
		if len(c.args) != 2 {
			return nil, fmt.Errorf("want 2 arguments, got %d", len(c.args))
		}
		if isNumOrNull(c.types[0]) && isNumOrNull(c.types[1]) {
			return numericArith(c, op)
		}
		return temporalArith(c, op)
	}
}

func numericArith(c *callInfo, op byte) (Evaluator, error) {
	t, err := unifyArgs(c, 0)
	if err != nil {
		return nil, err
	}
	if c.ret != t {
		return nil, fmt.Errorf("result type %s differs from operand type %s", c.ret, t)
	}
	a, b := c.args[0], c.args[1]
	if _, ok := constOf(a); ok && (op == '+' || op == '*') {
		a, b = b, a
	}
	if v, ok := constOf(b); ok {
		return newFuncArgs(c, []Evaluator{a}, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
			return numArith(allocator(ctx), op, t, in[0], nil, v)
		}), nil
	}
	return newFuncArgs(c, []Evaluator{a, b}, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
		return numArith(allocator(ctx), op, t, in[0], in[1], nil)
	}), nil
}

// numArith computes x op y, or x op c when y is nil.
func numArith(mem memory.Allocator, op byte, t types.Type, x, y arrow.Array, c any) (arrow.Array, error) {
	n := x.Len()
	valid := andValidity(mem, n, x, y)
	var buf *memory.Buffer
	var err error
	switch t.Kind {
	case types.Integer:
		buf, err = intArith[int32](mem, op, x, y, c, bitsOf(valid))
	case types.Bigint:
		buf, err = intArith[int64](mem, op, x, y, c, bitsOf(valid))
	case types.Double:
		buf, err = floatArith(mem, op, x, y, c, bitsOf(valid))
	default:
		err = fmt.Errorf("unsupported operand type %s", t)
	}
	if err != nil {
		releaseBufs(valid)
		return nil, err
	}
	return finish(t.ArrowType(), n, array.UnknownNullCount, valid, buf), nil
}

type integer interface{ ~int32 | ~int64 }

func minOf[T integer]() T {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return T(math.MinInt32)
	}
	m := int64(math.MinInt64)
	return T(m)
}

func rangeErr[T integer]() error {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return errIntRange
	}
	return errBigintRange
}

func intArith[T integer](mem memory.Allocator, op byte, x, y arrow.Array, c any, valid []byte) (*memory.Buffer, error) {
	a := values[T](x)
	var b []T
	var k T
	if y != nil {
		b = values[T](y)
	} else {
		k = c.(T)
		if (op == '/' || op == '%') && k == 0 {
			if x.Len() > x.NullN() {
				return nil, errDivZero
			}
			k = 1 // every row is NULL
		}
	}
	buf, out := newFixed[T](mem, len(a))
	var suspect bool
	switch op {
	case '+':
		suspect = addInts(a, b, k, out)
	case '-':
		suspect = subInts(a, b, k, out)
	case '*':
		suspect = mulInts(a, b, k, out)
	case '/', '%':
		suspect = divInts(op, a, b, k, out)
	}
	if suspect {
		for i := range a {
			if !validAt(valid, i) {
				continue
			}
			yv := k
			if b != nil {
				yv = b[i]
			}
			if _, err := intOp(op, a[i], yv); err != nil {
				buf.Release()
				return nil, err
			}
		}
	}
	return buf, nil
}

func addInts[T integer](a, b []T, k T, out []T) bool {
	var acc T
	if b == nil {
		for i, x := range a {
			r := x + k
			acc |= (x ^ r) & (k ^ r)
			out[i] = r
		}
	} else {
		b = b[:len(a)]
		for i, x := range a {
			r := x + b[i]
			acc |= (x ^ r) & (b[i] ^ r)
			out[i] = r
		}
	}
	return acc < 0
}

func subInts[T integer](a, b []T, k T, out []T) bool {
	var acc T
	if b == nil {
		for i, x := range a {
			r := x - k
			acc |= (x ^ k) & (x ^ r)
			out[i] = r
		}
	} else {
		b = b[:len(a)]
		for i, x := range a {
			r := x - b[i]
			acc |= (x ^ b[i]) & (x ^ r)
			out[i] = r
		}
	}
	return acc < 0
}

func mulInts[T integer](a, b []T, k T, out []T) bool {
	bad := false
	for i, x := range a {
		y := k
		if b != nil {
			y = b[i]
		}
		r := x * y
		bad = bad || mulOverflows(x, y)
		out[i] = r
	}
	return bad
}

// mulOverflows reports whether x*y overflows T.
func mulOverflows[T integer](x, y T) bool {
	var z T
	if unsafe.Sizeof(z) == 4 {
		p := int64(x) * int64(y)
		return p != int64(int32(p))
	}
	hi, lo := bits.Mul64(uint64(x), uint64(y))
	shi := int64(hi) - (int64(x)>>63)&int64(y) - (int64(y)>>63)&int64(x)
	return shi != int64(lo)>>63
}

func divInts[T integer](op byte, a, b []T, k T, out []T) bool {
	bad := false
	minT := minOf[T]()
	for i, x := range a {
		y := k
		if b != nil {
			y = b[i]
		}
		switch {
		case y == 0:
			bad = true
			out[i] = 0
		case y == -1:
			bad = bad || (x == minT && op == '/')
			if op == '/' {
				out[i] = -x
			} else {
				out[i] = 0
			}
		case op == '/':
			out[i] = x / y
		default:
			out[i] = x % y
		}
	}
	return bad
}

// intOp is one checked integer operation.
func intOp[T integer](op byte, x, y T) (T, error) {
	switch op {
	case '+':
		r := x + y
		if (x^r)&(y^r) < 0 {
			return 0, rangeErr[T]()
		}
		return r, nil
	case '-':
		r := x - y
		if (x^y)&(x^r) < 0 {
			return 0, rangeErr[T]()
		}
		return r, nil
	case '*':
		if mulOverflows(x, y) {
			return 0, rangeErr[T]()
		}
		return x * y, nil
	}
	if y == 0 {
		return 0, errDivZero
	}
	if y == -1 {
		if op == '%' {
			return 0, nil
		}
		if x == minOf[T]() {
			return 0, rangeErr[T]()
		}
		return -x, nil
	}
	if op == '/' {
		return x / y, nil
	}
	return x % y, nil
}

func floatArith(mem memory.Allocator, op byte, x, y arrow.Array, c any, valid []byte) (*memory.Buffer, error) {
	a := values[float64](x)
	var b []float64
	var k float64
	if y != nil {
		b = values[float64](y)[:len(a)]
	} else {
		k = c.(float64)
		if (op == '/' || op == '%') && k == 0 {
			if x.Len() > x.NullN() {
				return nil, errDivZero
			}
			k = 1
		}
	}
	buf, out := newFixed[float64](mem, len(a))
	zero := false
	switch {
	case b == nil && op == '+':
		for i, v := range a {
			out[i] = v + k
		}
	case b == nil && op == '-':
		for i, v := range a {
			out[i] = v - k
		}
	case b == nil && op == '*':
		for i, v := range a {
			out[i] = v * k
		}
	case b == nil && op == '/':
		for i, v := range a {
			out[i] = v / k
		}
	case b == nil:
		for i, v := range a {
			out[i] = math.Mod(v, k)
		}
	case op == '+':
		for i, v := range a {
			out[i] = v + b[i]
		}
	case op == '-':
		for i, v := range a {
			out[i] = v - b[i]
		}
	case op == '*':
		for i, v := range a {
			out[i] = v * b[i]
		}
	case op == '/':
		for i, v := range a {
			zero = zero || b[i] == 0
			out[i] = v / b[i]
		}
	default:
		for i, v := range a {
			zero = zero || b[i] == 0
			out[i] = math.Mod(v, b[i])
		}
	}
	if zero {
		for i := range a {
			if b[i] == 0 && validAt(valid, i) {
				buf.Release()
				return nil, errDivZero
			}
		}
	}
	if err := checkFloatRange(op, a, b, k, out, valid); err != nil {
		buf.Release()
		return nil, err
	}
	return buf, nil
}

var (
	errFloatOverflow  = errors.New("value out of range: overflow")
	errFloatUnderflow = errors.New("value out of range: underflow")
)

// checkFloatRange reports overflow to ±Infinity from finite operands, and
// underflow to zero from non-zero ones, as Postgres' float8 operators do.
// The scan is cheap; the exact per-row test runs only on suspect rows.
func checkFloatRange(op byte, a, b []float64, k float64, out []float64, valid []byte) error {
	if op == '%' {
		return nil
	}
	for i, r := range out {
		if r-r == 0 && (r != 0 || op == '+' || op == '-') {
			continue // finite and non-zero (or a sum, which cannot underflow)
		}
		if !validAt(valid, i) {
			continue
		}
		x, y := a[i], k
		if b != nil {
			y = b[i]
		}
		if err := floatRange(op, x, y, r); err != nil {
			return err
		}
	}
	return nil
}

func floatRange(op byte, x, y, r float64) error {
	inf := func(v float64) bool { return math.IsInf(v, 0) }
	if inf(r) {
		if (op == '/' && !inf(x)) || (op != '/' && !inf(x) && !inf(y)) {
			return errFloatOverflow
		}
	}
	if r == 0 {
		if (op == '*' && x != 0 && y != 0) || (op == '/' && x != 0 && !inf(y)) {
			return errFloatUnderflow
		}
	}
	return nil
}

func negFactory(c *callInfo) (Evaluator, error) {
	t := c.types[0]
	return newFunc(c, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
		mem, x := allocator(ctx), in[0]
		dt := t.ArrowType()
		switch t.Kind {
		case types.Integer:
			return mapUnary(mem, x, dt, func(v int32) (int32, error) { return intOp[int32]('-', 0, v) })
		case types.Bigint:
			return mapUnary(mem, x, dt, func(v int64) (int64, error) { return intOp[int64]('-', 0, v) })
		case types.Double:
			return mapUnary(mem, x, dt, func(v float64) (float64, error) { return -v, nil })
		case types.Interval:
			return mapUnary(mem, x, dt, func(v arrow.MonthDayNanoInterval) (arrow.MonthDayNanoInterval, error) {
				return negInterval(v), nil
			})
		}
		return nil, fmt.Errorf("unsupported operand type %s", t)
	}), nil
}

func negInterval(v arrow.MonthDayNanoInterval) arrow.MonthDayNanoInterval {
	return arrow.MonthDayNanoInterval{Months: -v.Months, Days: -v.Days, Nanoseconds: -v.Nanoseconds}
}
