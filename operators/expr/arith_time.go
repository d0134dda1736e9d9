package expr

import (
	"errors"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// Date, timestamp and interval arithmetic, with Postgres semantics.

var (
	errDateRange     = errors.New("date out of range")
	errIntervalRange = errors.New("interval out of range")
)

type mdn = arrow.MonthDayNanoInterval

// constAs converts a constant's Go value to the raw value type B.
func constAs[B any](v any) B {
	var out B
	switch p := any(&out).(type) {
	case *mdn:
		*p = toMDN(v.(types.IntervalValue))
	case *int64:
		switch x := v.(type) {
		case int32:
			*p = int64(x)
		case int64:
			*p = x
		}
	case *float64:
		*p = v.(float64)
	case *int32:
		*p = v.(int32)
	}
	return out
}

// binaryRows evaluates f over rows of its two arguments, not broadcasting a
// constant second argument.
func binaryRows[A, B, R arrow.FixedWidthType](c *callInfo, x, y Evaluator, dt arrow.DataType, f func(A, B) (R, error)) Evaluator {
	if v, ok := constOf(y); ok {
		k := constAs[B](v)
		return newFuncArgs(c, []Evaluator{x}, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
			return mapConst(allocator(ctx), in[0], k, dt, f)
		})
	}
	return newFuncArgs(c, []Evaluator{x, y}, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
		return mapBinary(allocator(ctx), in[0], in[1], dt, f)
	})
}

func temporalArith(c *callInfo, op byte) (Evaluator, error) {
	k := func(i int) types.Kind { return c.types[i].Kind }
	cast := func(i int, t types.Type) {
		if c.types[i] != t {
			c.args[i] = foldIfConst(newCastEval(c.args[i], t, false), c.args[i])
			c.types[i] = t
		}
	}
	swap := func() {
		c.args[0], c.args[1] = c.args[1], c.args[0]
		c.types[0], c.types[1] = c.types[1], c.types[0]
	}
	isTime := func(i int) bool { return k(i) == types.Timestamp || k(i) == types.Date }
	tsT, dateT, ivT := types.TimestampType.ArrowType(), types.DateType.ArrowType(), types.IntervalType.ArrowType()

	// Put the interval, integer or number on the right where the operator commutes.
	if op == '+' && (k(0) == types.Interval || c.types[0].IsInteger()) && isTime(1) {
		swap()
	}
	if op == '*' && c.types[0].IsNumeric() && k(1) == types.Interval {
		swap()
	}
	x, y := c.args[0], c.args[1]
	switch {
	case (op == '+' || op == '-') && isTime(0) && k(1) == types.Interval:
		cast(0, types.TimestampType)
		x = c.args[0]
		if v, ok := constOf(y); ok {
			iv := toMDN(v.(types.IntervalValue))
			if op == '-' {
				iv = negInterval(iv)
			}
			if iv.Months == 0 {
				delta := int64(iv.Days)*dayMicros + iv.Nanoseconds/1000
				return infallible(newFuncArgs(c, []Evaluator{x}, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
					return addConstInt64(allocator(ctx), in[0], delta, tsT), nil
				})), nil
			}
		}
		sign := op
		return binaryRows(c, x, y, tsT, func(t int64, iv mdn) (int64, error) {
			if sign == '-' {
				iv = negInterval(iv)
			}
			return addInterval(t, iv), nil
		}), nil
	case op == '-' && k(0) == types.Date && k(1) == types.Date:
		return binaryRows(c, x, y, types.IntegerType.ArrowType(), func(a, b int32) (int32, error) {
			return intOp[int32]('-', a, b)
		}), nil
	case op == '-' && isTime(0) && isTime(1):
		cast(0, types.TimestampType)
		cast(1, types.TimestampType)
		return binaryRows(c, c.args[0], c.args[1], ivT, func(a, b int64) (mdn, error) {
			d := a - b
			days := d / dayMicros
			return mdn{Days: int32(days), Nanoseconds: (d - days*dayMicros) * 1000}, nil
		}), nil
	case (op == '+' || op == '-') && k(0) == types.Date && c.types[1].IsInteger():
		cast(1, types.BigintType)
		sign := int64(1)
		if op == '-' {
			sign = -1
		}
		return binaryRows(c, x, c.args[1], dateT, func(d int32, n int64) (int32, error) {
			r := int64(d) + sign*n
			if r < math.MinInt32 || r > math.MaxInt32 {
				return 0, errDateRange
			}
			return int32(r), nil
		}), nil
	case (op == '+' || op == '-') && k(0) == types.Interval && k(1) == types.Interval:
		sign := int64(1)
		if op == '-' {
			sign = -1
		}
		return binaryRows(c, x, y, ivT, func(a, b mdn) (mdn, error) {
			m := int64(a.Months) + sign*int64(b.Months)
			d := int64(a.Days) + sign*int64(b.Days)
			if m != int64(int32(m)) || d != int64(int32(d)) {
				return mdn{}, errIntervalRange
			}
			return mdn{Months: int32(m), Days: int32(d), Nanoseconds: a.Nanoseconds + sign*b.Nanoseconds}, nil
		}), nil
	case (op == '*' || op == '/') && k(0) == types.Interval && isNumOrNull(c.types[1]):
		cast(1, types.DoubleType)
		div := op == '/'
		return binaryRows(c, x, c.args[1], ivT, func(a mdn, f float64) (mdn, error) {
			return scaleInterval(a, f, div)
		}), nil
	}
	return nil, fmt.Errorf("operator %c does not apply to %s and %s", op, c.types[0], c.types[1])
}

// addConstInt64 adds delta to every value (timestamps plus a fixed
// interval); NULL rows keep their validity.
func addConstInt64(mem memory.Allocator, x arrow.Array, delta int64, dt arrow.DataType) arrow.Array {
	src := values[int64](x)
	buf, out := newFixed[int64](mem, len(src))
	for i, v := range src {
		out[i] = v + delta
	}
	return finish(dt, len(src), x.NullN(), copyValidity(mem, x), buf)
}

// scaleInterval multiplies (or divides) an interval by f the way Postgres'
// interval_mul does: fractional months spill into days (30 per month) and
// fractional days into time.
func scaleInterval(a mdn, f float64, div bool) (mdn, error) {
	op := func(v float64) float64 {
		if div {
			return v / f
		}
		return v * f
	}
	if div && f == 0 {
		return mdn{}, errDivZero
	}
	if math.IsNaN(f) {
		return mdn{}, errIntervalRange
	}
	tsround := func(v float64) float64 { return math.RoundToEven(v*1e6) / 1e6 }
	months := op(float64(a.Months))
	days := op(float64(a.Days))
	if math.Abs(months) > math.MaxInt32 || math.Abs(days) > math.MaxInt32 {
		return mdn{}, errIntervalRange
	}
	rm, rd := math.Trunc(months), math.Trunc(days)
	monthRemDays := tsround((months - rm) * 30)
	secRem := tsround((days - rd + monthRemDays - math.Trunc(monthRemDays)) * 86400)
	if math.Abs(secRem) >= 86400 {
		rd += math.Trunc(secRem / 86400)
		secRem -= math.Trunc(secRem/86400) * 86400
	}
	rd += math.Trunc(monthRemDays)
	us := math.RoundToEven(op(float64(a.Nanoseconds/1000)) + secRem*1e6)
	if math.Abs(us) >= math.MaxInt64/1000 || math.Abs(rd) > math.MaxInt32 {
		return mdn{}, errIntervalRange
	}
	return mdn{Months: int32(rm), Days: int32(rd), Nanoseconds: int64(us) * 1000}, nil
}
