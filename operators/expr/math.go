package expr

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/planner/types"
)

// Math and hash kernels.

func registerMathKernels() {
	kernels["abs"] = numFactory(
		func(v int32) (int32, error) {
			if v < 0 {
				return intOp[int32]('-', 0, v)
			}
			return v, nil
		},
		func(v int64) (int64, error) {
			if v < 0 {
				return intOp[int64]('-', 0, v)
			}
			return v, nil
		},
		func(v float64) (float64, error) { return math.Abs(v), nil })
	kernels["sign"] = numFactory(
		func(v int32) (int32, error) { return int32(b2u(v > 0)) - int32(b2u(v < 0)), nil },
		func(v int64) (int64, error) { return int64(b2u(v > 0)) - int64(b2u(v < 0)), nil },
		func(v float64) (float64, error) {
			if v != v {
				return v, nil
			}
			return float64(b2u(v > 0)) - float64(b2u(v < 0)), nil
		})
	ident32 := func(v int32) (int32, error) { return v, nil }
	ident64 := func(v int64) (int64, error) { return v, nil }
	kernels["floor"] = numFactory(ident32, ident64, func(v float64) (float64, error) { return math.Floor(v), nil })
	kernels["ceil"] = numFactory(ident32, ident64, func(v float64) (float64, error) { return math.Ceil(v), nil })
	kernels["round"] = digitsFactory(false)
	kernels["trunc"] = digitsFactory(true)
	kernels["sqrt"] = doubleFactory(func(v float64) (float64, error) {
		if v < 0 {
			return 0, errors.New("cannot take square root of a negative number")
		}
		return math.Sqrt(v), nil
	})
	logf := func(f func(float64) float64) factory {
		return doubleFactory(func(v float64) (float64, error) {
			switch {
			case v == 0:
				return 0, errors.New("cannot take logarithm of zero")
			case v < 0:
				return 0, errors.New("cannot take logarithm of a negative number")
			}
			return f(v), nil
		})
	}
	kernels["ln"], kernels["log10"] = logf(math.Log), logf(math.Log10)
	kernels["exp"] = doubleFactory(func(v float64) (float64, error) {
		r := math.Exp(v)
		switch {
		case math.IsInf(r, 1) && !math.IsInf(v, 1):
			return 0, errFloatOverflow
		case r == 0 && !math.IsInf(v, -1):
			return 0, errFloatUnderflow
		}
		return r, nil
	})
	kernels["power"] = powerFactory
	kernels["pi"] = func(c *callInfo) (Evaluator, error) { return &constEval{v: math.Pi, t: types.DoubleType}, nil }
	kernels["md5"] = strKernel(func(c *callInfo) (Evaluator, error) {
		return strToStr(c, func(r *rowArgs, out *strBuilder) error {
			sum := md5.Sum([]byte(r.str(0)))
			var buf [32]byte
			hex.Encode(buf[:], sum[:])
			out.appendBytes(buf[:])
			return nil
		}), nil
	})
	kernels["hash"] = hashFactory
}

// numFactory builds a one-argument numeric function keeping its type.
func numFactory(f32 func(int32) (int32, error), f64 func(int64) (int64, error), fd func(float64) (float64, error)) factory {
	return func(c *callInfo) (Evaluator, error) {
		if len(c.args) != 1 {
			return nil, fmt.Errorf("want 1 argument, got %d", len(c.args))
		}
		t := c.types[0]
		if !t.IsNumeric() {
			return nil, fmt.Errorf("argument 1 has unsupported type %s", t)
		}
		c.ret = t
		return newFunc(c, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
			mem, x, dt := allocator(ctx), in[0], t.ArrowType()
			switch t.Kind {
			case types.Integer:
				return mapUnary(mem, x, dt, f32)
			case types.Bigint:
				return mapUnary(mem, x, dt, f64)
			}
			return mapUnary(mem, x, dt, fd)
		}), nil
	}
}

// doubleFactory builds a DOUBLE → DOUBLE function.
func doubleFactory(f func(float64) (float64, error)) factory {
	return func(c *callInfo) (Evaluator, error) {
		if len(c.args) != 1 || !c.types[0].IsNumeric() {
			return nil, fmt.Errorf("want one numeric argument, got %s", typeNames(c.types))
		}
		if c.types[0].Kind != types.Double {
			c.args[0] = foldIfConst(newCastEval(c.args[0], types.DoubleType, false), c.args[0])
		}
		return newFunc(c, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
			return mapUnary(allocator(ctx), in[0], arrow.PrimitiveTypes.Float64, f)
		}), nil
	}
}

func powerFactory(c *callInfo) (Evaluator, error) {
	for i, t := range c.types {
		if !t.IsNumeric() {
			return nil, fmt.Errorf("argument %d has unsupported type %s", i+1, t)
		}
		if t.Kind != types.Double {
			c.args[i] = foldIfConst(newCastEval(c.args[i], types.DoubleType, false), c.args[i])
		}
	}
	return binaryRows(c, c.args[0], c.args[1], arrow.PrimitiveTypes.Float64, func(x, y float64) (float64, error) {
		switch {
		case x == 0 && y < 0:
			return 0, errors.New("zero raised to a negative power is undefined")
		case x < 0 && y != math.Trunc(y):
			return 0, errors.New("a negative number raised to a non-integer power yields a complex result")
		}
		r := math.Pow(x, y)
		switch {
		case math.IsInf(r, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0):
			return 0, errFloatOverflow
		case r == 0 && x != 0 && !math.IsInf(y, 0) && !math.IsNaN(x) && !math.IsNaN(y):
			return 0, errFloatUnderflow
		}
		return r, nil
	}), nil
}

// digitsFactory builds round and trunc, with an optional digit count.
func digitsFactory(trunc bool) factory {
	one := math.Round
	if trunc {
		one = math.Trunc
	}
	ident := numFactory(func(v int32) (int32, error) { return v, nil }, func(v int64) (int64, error) { return v, nil },
		func(v float64) (float64, error) { return one(v), nil })
	return func(c *callInfo) (Evaluator, error) {
		if len(c.args) == 1 {
			return ident(c)
		}
		if len(c.args) != 2 || !c.types[0].IsNumeric() || !c.types[1].IsInteger() {
			return nil, fmt.Errorf("want (DOUBLE, BIGINT) arguments, got %s", typeNames(c.types))
		}
		if c.types[0].Kind != types.Double {
			c.args[0] = foldIfConst(newCastEval(c.args[0], types.DoubleType, false), c.args[0])
		}
		if c.types[1].Kind != types.Bigint {
			c.args[1] = foldIfConst(newCastEval(c.args[1], types.BigintType, false), c.args[1])
		}
		c.ret = types.DoubleType
		return binaryRows(c, c.args[0], c.args[1], arrow.PrimitiveTypes.Float64, func(x float64, d int64) (float64, error) {
			return roundDigits(x, d, trunc), nil
		}), nil
	}
}

// roundDigits rounds x (half away from zero) or truncates it to d decimal
// places, working on the shortest decimal form of x so that
// round(2.675, 2) is 2.68 as written, not 2.67 as stored in binary.
func roundDigits(x float64, d int64, trunc bool) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || x == 0 || d > 20 {
		return x
	}
	if d < -400 {
		return math.Copysign(0, x)
	}
	s := strconv.FormatFloat(math.Abs(x), 'e', -1, 64) // d.ddddde±XX
	mant, expS, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expS)
	digs := []byte(strings.Replace(mant, ".", "", 1))
	point := exp + 1 // digits before the decimal point
	keep := point + int(d)
	if keep >= len(digs) {
		return x
	}
	up := !trunc && keep >= 0 && digs[keep] >= '5'
	if keep < 0 {
		return math.Copysign(0, x)
	}
	digs = digs[:keep]
	if up {
		i := len(digs) - 1
		for ; i >= 0 && digs[i] == '9'; i-- {
			digs[i] = '0'
		}
		if i >= 0 {
			digs[i]++
		} else {
			digs = append([]byte{'1'}, digs...)
			point++
		}
	}
	if len(digs) == 0 {
		return math.Copysign(0, x)
	}
	v, err := strconv.ParseFloat("0."+string(digs)+"e"+strconv.Itoa(point), 64)
	if err != nil {
		return x
	}
	return math.Copysign(v, x)
}

// FNV-1a, 64-bit.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvUint(h, v uint64, nbytes int) uint64 {
	for k := 0; k < nbytes; k++ {
		h ^= v & 0xff
		h *= fnvPrime
		v >>= 8
	}
	return h
}

func fnvString(h uint64, s string) uint64 {
	h = fnvUint(h, uint64(len(s)), 4)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// hashFactory: hash(args…) folds every argument's value into one FNV-1a
// state per row (see the registry's documentation for the encoding).
func hashFactory(c *callInfo) (Evaluator, error) {
	ts := append([]types.Type(nil), c.types...)
	return newFunc(c, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
		buf, h := newFixed[uint64](allocator(ctx), n)
		for i := range h {
			h[i] = fnvOffset
		}
		for k, a := range in {
			hashColumn(h, a, ts[k])
		}
		return finish(arrow.PrimitiveTypes.Int64, n, 0, nil, buf), nil
	}), nil
}

func hashColumn(h []uint64, a arrow.Array, t types.Type) {
	const nullMark = 0xff
	if isAllNull(a) || t.Kind == types.Null {
		for i := range h {
			h[i] = fnvUint(h[i], nullMark, 1)
		}
		return
	}
	bm, off := validity(a)
	valid := func(i int) bool { return validAt(bm, off+i) }
	switch t.Kind {
	case types.Boolean:
		b := a.(*array.Boolean)
		for i := range h {
			if !valid(i) {
				h[i] = fnvUint(h[i], nullMark, 1)
				continue
			}
			h[i] = fnvUint(h[i], uint64(b2u(b.Value(i))), 1)
		}
	case types.Integer, types.Date:
		for i, v := range values[int32](a) {
			if !valid(i) {
				h[i] = fnvUint(h[i], nullMark, 1)
				continue
			}
			h[i] = fnvUint(h[i], uint64(uint32(v)), 4)
		}
	case types.Bigint, types.Timestamp:
		for i, v := range values[int64](a) {
			if !valid(i) {
				h[i] = fnvUint(h[i], nullMark, 1)
				continue
			}
			h[i] = fnvUint(h[i], uint64(v), 8)
		}
	case types.Double:
		for i, v := range values[float64](a) {
			if !valid(i) {
				h[i] = fnvUint(h[i], nullMark, 1)
				continue
			}
			h[i] = fnvUint(h[i], uint64(floatKey(v)), 8)
		}
	case types.Interval:
		for i, v := range values[mdn](a) {
			if !valid(i) {
				h[i] = fnvUint(h[i], nullMark, 1)
				continue
			}
			h[i] = fnvUint(h[i], uint64(uint32(v.Months))|uint64(uint32(v.Days))<<32, 8)
			h[i] = fnvUint(h[i], uint64(v.Nanoseconds), 8)
		}
	case types.Varchar, types.JSON:
		offs, data := strData(a.(*array.String))
		for i := range h {
			if !valid(i) {
				h[i] = fnvUint(h[i], nullMark, 1)
				continue
			}
			h[i] = fnvString(h[i], data[offs[i]:offs[i+1]])
		}
	}
}
