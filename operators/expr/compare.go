package expr

import (
	"cmp"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// Comparisons produce *array.Boolean. Both operands have one type (the
// binder casts them to their common type; Compile adds the casts if a
// rewritten tree lacks them). A constant operand is never broadcast.

type cmpOp uint8

const (
	opEq cmpOp = iota
	opNe
	opLt
	opLe
	opGt
	opGe
)

var cmpOps = map[string]cmpOp{"=": opEq, "<>": opNe, "<": opLt, "<=": opLe, ">": opGt, ">=": opGe}

// flip is the operator with its operands swapped: a < b ⇔ b > a.
func (o cmpOp) flip() cmpOp {
	switch o {
	case opLt:
		return opGt
	case opLe:
		return opGe
	case opGt:
		return opLt
	case opGe:
		return opLe
	}
	return o
}

// holds reports whether the operator accepts a three-way result c.
func (o cmpOp) holds(c int) bool {
	switch o {
	case opEq:
		return c == 0
	case opNe:
		return c != 0
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	case opGt:
		return c > 0
	}
	return c >= 0
}

func registerCompareKernels() {
	for name, op := range cmpOps {
		kernels[name] = cmpFactory(op)
	}
	kernels["is_distinct_from"] = distinctFactory(true)
	kernels["is_not_distinct_from"] = distinctFactory(false)
}

// unifyArgs casts the arguments of c from index from on to their common
// type (NULL-only: VARCHAR) and returns it.
func unifyArgs(c *callInfo, from int) (types.Type, error) {
	t := types.NullType
	for _, at := range c.types[from:] {
		var ok bool
		if t, ok = types.Common(t, at); !ok {
			return t, fmt.Errorf("no common type for the arguments of %s (%s)", displayName(c.name), typeNames(c.types))
		}
	}
	if t.Kind == types.Null {
		t = types.VarcharType
	}
	for i := from; i < len(c.args); i++ {
		if c.types[i] != t {
			c.args[i] = foldIfConst(newCastEval(c.args[i], t, false), c.args[i])
			c.types[i] = t
		}
	}
	return t, nil
}

func typeNames(ts []types.Type) string {
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += ", "
		}
		s += t.String()
	}
	return s
}

func cmpFactory(baseOp cmpOp) factory {
	return func(c *callInfo) (Evaluator, error) {
		op := baseOp
		t, err := unifyArgs(c, 0)
		if err != nil {
			return nil, err
		}
		a, b := c.args[0], c.args[1]
		if _, ok := constOf(a); ok {
			if _, ok := constOf(b); !ok {
				a, b, op = b, a, op.flip()
			}
		}
		if v, ok := constOf(b); ok {
			return newFuncArgs(c, []Evaluator{a}, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
				return compareConst(allocator(ctx), in[0], t, op, v)
			}), nil
		}
		return newFunc(c, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
			return compareArrays(allocator(ctx), in[0], in[1], t, op)
		}), nil
	}
}

// compareConst compares every row of arr with the constant v (not nil).
func compareConst(mem memory.Allocator, arr arrow.Array, t types.Type, op cmpOp, v any) (arrow.Array, error) {
	n := arr.Len()
	vb, bits := newBitmap(mem, n)
	switch t.Kind {
	case types.Integer, types.Date:
		cmpConstT(op, values[int32](arr), v.(int32), bits)
	case types.Bigint, types.Timestamp:
		cmpConstT(op, values[int64](arr), v.(int64), bits)
	case types.Double:
		cmpConstFloat(op, values[float64](arr), v.(float64), bits)
	case types.Varchar, types.JSON:
		cmpConstString(op, arr.(*array.String), v.(string), bits)
	case types.Boolean:
		a, c := arr.(*array.Boolean), v.(bool)
		for i := 0; i < n; i++ {
			bits[i>>3] |= b2u(op.holds(cmpBool(a.Value(i), c))) << (i & 7)
		}
	case types.Interval:
		c := toMDN(v.(types.IntervalValue))
		for i, x := range values[arrow.MonthDayNanoInterval](arr) {
			bits[i>>3] |= b2u(op.holds(cmpInterval(x, c))) << (i & 7)
		}
	default:
		vb.Release()
		return nil, fmt.Errorf("comparing %s values: unsupported type", t)
	}
	return finish(arrow.FixedWidthTypes.Boolean, n, array.UnknownNullCount, copyValidity(mem, arr), vb), nil
}

// compareArrays compares two arrays row by row.
func compareArrays(mem memory.Allocator, x, y arrow.Array, t types.Type, op cmpOp) (arrow.Array, error) {
	n := x.Len()
	vb, bits := newBitmap(mem, n)
	switch t.Kind {
	case types.Integer, types.Date:
		cmpVecT(op, values[int32](x), values[int32](y), bits)
	case types.Bigint, types.Timestamp:
		cmpVecT(op, values[int64](x), values[int64](y), bits)
	case types.Double:
		a, b := values[float64](x), values[float64](y)
		if hasNaN(a) || hasNaN(b) {
			for i := range a {
				bits[i>>3] |= b2u(op.holds(CompareFloat(a[i], b[i]))) << (i & 7)
			}
		} else {
			cmpVecT(op, a, b, bits)
		}
	case types.Varchar, types.JSON:
		ao, ad := strData(x.(*array.String))
		bo, bd := strData(y.(*array.String))
		for i := 0; i < n; i++ {
			c := cmp.Compare(ad[ao[i]:ao[i+1]], bd[bo[i]:bo[i+1]])
			bits[i>>3] |= b2u(op.holds(c)) << (i & 7)
		}
	case types.Boolean:
		a, b := x.(*array.Boolean), y.(*array.Boolean)
		for i := 0; i < n; i++ {
			bits[i>>3] |= b2u(op.holds(cmpBool(a.Value(i), b.Value(i)))) << (i & 7)
		}
	case types.Interval:
		a, b := values[arrow.MonthDayNanoInterval](x), values[arrow.MonthDayNanoInterval](y)
		for i := range a {
			bits[i>>3] |= b2u(op.holds(cmpInterval(a[i], b[i]))) << (i & 7)
		}
	default:
		vb.Release()
		return nil, fmt.Errorf("comparing %s values: unsupported type", t)
	}
	return finish(arrow.FixedWidthTypes.Boolean, n, array.UnknownNullCount, andValidity(mem, n, x, y), vb), nil
}

func cmpConstT[T cmp.Ordered](op cmpOp, a []T, c T, out []byte) {
	switch op {
	case opEq:
		eqConst(a, c, out)
	case opNe:
		neConst(a, c, out)
	case opLt:
		ltConst(a, c, out)
	case opLe:
		leConst(a, c, out)
	case opGt:
		gtConst(a, c, out)
	case opGe:
		geConst(a, c, out)
	}
}

func cmpVecT[T cmp.Ordered](op cmpOp, a, b []T, out []byte) {
	switch op {
	case opEq:
		eqVec(a, b, out)
	case opNe:
		neVec(a, b, out)
	case opLt:
		ltVec(a, b, out)
	case opLe:
		leVec(a, b, out)
	case opGt:
		gtVec(a, b, out)
	case opGe:
		geVec(a, b, out)
	}
}

// cmpConstFloat compares with Postgres semantics: NaN equals NaN and sorts
// above every number. For a non-NaN constant the native =, <>, < and <=
// already agree with that; > and >= are computed as NOT <= and NOT <.
func cmpConstFloat(op cmpOp, a []float64, c float64, out []byte) {
	if math.IsNaN(c) {
		for i, x := range a {
			out[i>>3] |= b2u(op.holds(CompareFloat(x, c))) << (i & 7)
		}
		return
	}
	switch op {
	case opGt:
		leConst(a, c, out)
		invertBits(out, len(a))
	case opGe:
		ltConst(a, c, out)
		invertBits(out, len(a))
	default:
		cmpConstT(op, a, c, out)
	}
}

func hasNaN(a []float64) bool {
	for _, v := range a {
		if v != v {
			return true
		}
	}
	return false
}

// invertBits flips the first n bits of b, leaving the padding zero.
func invertBits(b []byte, n int) {
	for i := range b {
		b[i] = ^b[i]
	}
	if r := n & 7; r != 0 {
		b[n>>3] &= byte(1)<<r - 1
	}
}

func cmpConstString(op cmpOp, a *array.String, c string, out []byte) {
	offs, data := strData(a)
	n := a.Len()
	switch op {
	case opEq:
		for i := 0; i < n; i++ {
			out[i>>3] |= b2u(data[offs[i]:offs[i+1]] == c) << (i & 7)
		}
	case opNe:
		for i := 0; i < n; i++ {
			out[i>>3] |= b2u(data[offs[i]:offs[i+1]] != c) << (i & 7)
		}
	case opLt:
		for i := 0; i < n; i++ {
			out[i>>3] |= b2u(data[offs[i]:offs[i+1]] < c) << (i & 7)
		}
	case opLe:
		for i := 0; i < n; i++ {
			out[i>>3] |= b2u(data[offs[i]:offs[i+1]] <= c) << (i & 7)
		}
	case opGt:
		for i := 0; i < n; i++ {
			out[i>>3] |= b2u(data[offs[i]:offs[i+1]] > c) << (i & 7)
		}
	case opGe:
		for i := 0; i < n; i++ {
			out[i>>3] |= b2u(data[offs[i]:offs[i+1]] >= c) << (i & 7)
		}
	}
}

// CompareFloat orders floats as Postgres does, a total order: -0 equals
// 0, NaN equals NaN and sorts above every number. Comparison, ORDER BY
// and top-N all use it.
func CompareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		return 0
	}
	an, bn := a != a, b != b
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	}
	return -1
}

func cmpBool(a, b bool) int {
	return int(b2u(a)) - int(b2u(b))
}

// intervalKey orders intervals as Postgres does, with a month of 30 days
// and a day of 24 hours: (whole days, remaining µs).
func intervalKey(v arrow.MonthDayNanoInterval) (int64, int64) {
	us := v.Nanoseconds / 1000
	return int64(v.Months)*30 + int64(v.Days) + floorDiv(us, dayMicros), floorMod(us, dayMicros)
}

func cmpInterval(a, b arrow.MonthDayNanoInterval) int {
	ad, ar := intervalKey(a)
	bd, br := intervalKey(b)
	if c := cmp.Compare(ad, bd); c != 0 {
		return c
	}
	return cmp.Compare(ar, br)
}

// distinctFactory builds IS [NOT] DISTINCT FROM: like <> (=) but NULL is
// equal to NULL, and the result is never NULL.
func distinctFactory(distinct bool) factory {
	return func(c *callInfo) (Evaluator, error) {
		t, err := unifyArgs(c, 0)
		if err != nil {
			return nil, err
		}
		return newFunc(c, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
			return distinctArrays(allocator(ctx), in[0], in[1], t, distinct)
		}), nil
	}
}

func distinctArrays(mem memory.Allocator, x, y arrow.Array, t types.Type, distinct bool) (arrow.Array, error) {
	n := x.Len()
	if isAllNull(x) || isAllNull(y) || t.Kind == types.Null {
		// NULL vs NULL is not distinct; NULL vs a value is.
		vb, bits := newBitmap(mem, n)
		for i := 0; i < n; i++ {
			if (x.IsNull(i) != y.IsNull(i)) == distinct {
				bitutil.SetBit(bits, i)
			}
		}
		return finish(arrow.FixedWidthTypes.Boolean, n, 0, nil, vb), nil
	}
	op := opEq
	if distinct {
		op = opNe
	}
	eq, err := compareArrays(mem, x, y, t, op)
	if err != nil {
		return nil, err
	}
	defer eq.Release()
	vb, bits := newBitmap(mem, n)
	src := eq.(*array.Boolean)
	for i := 0; i < n; i++ {
		xn, yn := x.IsNull(i), y.IsNull(i)
		var v bool
		if xn || yn {
			v = (xn != yn) == distinct
		} else {
			v = src.Value(i)
		}
		if v {
			bitutil.SetBit(bits, i)
		}
	}
	return finish(arrow.FixedWidthTypes.Boolean, n, 0, nil, vb), nil
}
