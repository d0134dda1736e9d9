package expr

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

// CASE, COALESCE and IN lists.

type whenEval struct{ cond, res Evaluator }

type caseEval struct {
	whens []whenEval
	els   Evaluator
	t     types.Type
}

func (e *caseEval) Type() types.Type { return e.t }

func (c *compiler) compileCase(e *logical.Case) (Evaluator, error) {
	ce := &caseEval{t: e.T}
	toT := func(ev Evaluator) Evaluator {
		if ev.Type() != e.T {
			return foldIfConst(newCastEval(ev, e.T, false), ev)
		}
		return ev
	}
	for _, w := range e.Whens {
		cond, err := c.compile(w.Cond)
		if err != nil {
			return nil, err
		}
		if t := cond.Type().Kind; t != types.Boolean && t != types.Null {
			return nil, fmt.Errorf("compiling %s: WHEN condition %s is %s, not BOOLEAN", e, w.Cond, cond.Type())
		}
		res, err := c.compile(w.Result)
		if err != nil {
			return nil, err
		}
		if v, ok := constOf(cond); ok {
			if v == nil || v == false {
				continue // never taken
			}
			if len(ce.whens) == 0 {
				return toT(res), nil // always taken first
			}
			ce.els = toT(res)
			return ce, nil
		}
		ce.whens = append(ce.whens, whenEval{cond: cond, res: toT(res)})
	}
	var els Evaluator = &constEval{t: e.T}
	if e.Else != nil {
		var err error
		if els, err = c.compile(e.Else); err != nil {
			return nil, err
		}
	}
	ce.els = toT(els)
	if len(ce.whens) == 0 {
		return ce.els, nil
	}
	return ce, nil
}

func (e *caseEval) Eval(ctx *Context, b arrow.RecordBatch) (arrow.Array, error) {
	n := int(b.NumRows())
	remaining := allRows(n)
	src, idx := make([]int32, n), make([]int32, n)
	for i := range src {
		src[i] = -1
	}
	var results []arrow.Array
	defer func() { releaseAll(results) }()
	take := func(ev Evaluator, rows []int32) error {
		arr, err := evalRows(ctx, ev, b, rows)
		if err != nil {
			return err
		}
		results = append(results, arr)
		s := int32(len(results) - 1)
		for j, r := range rows {
			src[r], idx[r] = s, int32(j)
		}
		return nil
	}
	for _, w := range e.whens {
		if len(remaining) == 0 {
			break
		}
		cond, err := evalRows(ctx, w.cond, b, remaining)
		if err != nil {
			return nil, err
		}
		matched, rest := make([]int32, 0, len(remaining)), make([]int32, 0, len(remaining))
		if ca, ok := cond.(*array.Boolean); ok && ca.Len() > 0 {
			vals, valid := boolBits(ca)
			for j, r := range remaining {
				if validAt(valid, j) && bitutil.BitIsSet(vals, j) {
					matched = append(matched, r)
				} else {
					rest = append(rest, r)
				}
			}
		} else {
			rest = append(rest, remaining...)
		}
		cond.Release()
		if len(matched) > 0 {
			if err := take(w.res, matched); err != nil {
				return nil, err
			}
		}
		remaining = rest
	}
	if len(remaining) > 0 {
		if err := take(e.els, remaining); err != nil {
			return nil, err
		}
	}
	if len(results) == 1 && results[0].Len() == n {
		results[0].Retain()
		return results[0], nil
	}
	return interleave(allocator(ctx), e.t, results, src, idx)
}

// choiceEval is COALESCE: each argument runs only on the rows still NULL.
type choiceEval struct {
	args []Evaluator
	t    types.Type
}

func (e *choiceEval) Type() types.Type { return e.t }

func coalesceFactory(c *callInfo) (Evaluator, error) {
	t, err := unifyArgs(c, 0)
	if err != nil {
		return nil, err
	}
	var args []Evaluator
	for _, a := range c.args {
		if isNullConst(a) {
			continue
		}
		args = append(args, a)
		if _, ok := constOf(a); ok {
			break // a non-NULL constant ends the search
		}
	}
	if len(args) == 0 {
		return &constEval{t: t}, nil
	}
	if len(args) == 1 {
		return args[0], nil
	}
	return &choiceEval{args: args, t: t}, nil
}

func (e *choiceEval) Eval(ctx *Context, b arrow.RecordBatch) (arrow.Array, error) {
	n := int(b.NumRows())
	first, err := e.args[0].Eval(ctx, b)
	if err != nil {
		return nil, err
	}
	if first.NullN() == 0 {
		return first, nil
	}
	results := []arrow.Array{first}
	defer func() { releaseAll(results) }()
	src, idx := make([]int32, n), make([]int32, n)
	var remaining []int32
	for r := 0; r < n; r++ {
		if first.IsValid(r) {
			src[r], idx[r] = 0, int32(r)
		} else {
			src[r] = -1
			remaining = append(remaining, int32(r))
		}
	}
	for _, a := range e.args[1:] {
		if len(remaining) == 0 {
			break
		}
		arr, err := evalRows(ctx, a, b, remaining)
		if err != nil {
			return nil, err
		}
		results = append(results, arr)
		s := int32(len(results) - 1)
		var rest []int32
		for j, r := range remaining {
			if arr.IsValid(j) {
				src[r], idx[r] = s, int32(j)
			} else {
				rest = append(rest, r)
			}
		}
		remaining = rest
	}
	return interleave(allocator(ctx), e.t, results, src, idx)
}

// inListEval is x [NOT] IN (list…).
type inListEval struct {
	x     Evaluator
	list  []Evaluator // non-constant elements
	set   *valueSet   // constant elements
	not   bool
	xType types.Type
}

func (e *inListEval) Type() types.Type { return types.BooleanType }

func (c *compiler) compileInList(e *logical.InList) (Evaluator, error) {
	x, err := c.compile(e.X)
	if err != nil {
		return nil, err
	}
	items := make([]Evaluator, len(e.List))
	t := x.Type()
	for i, l := range e.List {
		if items[i], err = c.compile(l); err != nil {
			return nil, err
		}
		var ok bool
		if t, ok = types.Common(t, items[i].Type()); !ok {
			return nil, fmt.Errorf("compiling %s: no common type for %s and %s", e, x.Type(), items[i].Type())
		}
	}
	if t.Kind == types.Null {
		return &constEval{t: types.BooleanType}, nil
	}
	cast := func(ev Evaluator) Evaluator {
		if ev.Type() != t {
			return foldIfConst(newCastEval(ev, t, false), ev)
		}
		return ev
	}
	in := &inListEval{x: cast(x), not: e.Not, xType: t, set: newValueSet(t)}
	for _, it := range items {
		it = cast(it)
		if v, ok := constOf(it); ok {
			in.set.add(v)
		} else {
			in.list = append(in.list, it)
		}
	}
	if _, ok := constOf(in.x); ok && len(in.list) == 0 {
		return foldConst(in), nil
	}
	return in, nil
}

func (e *inListEval) Eval(ctx *Context, b arrow.RecordBatch) (arrow.Array, error) {
	mem := allocator(ctx)
	x, err := e.x.Eval(ctx, b)
	if err != nil {
		return nil, err
	}
	defer x.Release()
	n := x.Len()
	// found: TRUE where some element equals x; maybe: some element is NULL.
	fb, found := newBitmap(mem, n)
	defer fb.Release()
	mb, maybe := newBitmap(mem, n)
	defer mb.Release()
	if e.set.hasNull {
		bitutil.SetBitsTo(maybe, 0, int64(n), true)
	}
	if e.set.size() > 0 {
		e.set.probe(x, found)
	}
	for _, l := range e.list {
		arr, err := l.Eval(ctx, b)
		if err != nil {
			return nil, err
		}
		eq, err := compareArrays(mem, x, arr, e.xType, opEq)
		if err != nil {
			arr.Release()
			return nil, err
		}
		ea := eq.(*array.Boolean)
		for i := 0; i < n; i++ {
			switch {
			case arr.IsNull(i):
				bitutil.SetBit(maybe, i)
			case ea.Value(i):
				bitutil.SetBit(found, i)
			}
		}
		eq.Release()
		arr.Release()
	}
	// Valid where x is and the answer is known: found, or no NULL element.
	vb, out := newBitmap(mem, n)
	valid, vbits := newBitmap(mem, n)
	var xvalid []byte
	if bm, off := validity(x); bm != nil {
		xvalid = make([]byte, len(vbits))
		bitutil.CopyBitmap(bm, off, n, xvalid, 0)
	}
	for i := range out {
		v := found[i] | ^maybe[i]
		if xvalid != nil {
			v &= xvalid[i]
		}
		vbits[i] = v
		if e.not {
			out[i] = ^found[i]
		} else {
			out[i] = found[i]
		}
	}
	return finish(arrow.FixedWidthTypes.Boolean, n, array.UnknownNullCount, valid, vb), nil
}

// valueSet is a hash set of constant values of one type.
type valueSet struct {
	t       types.Type
	ints    map[int64]struct{}
	strs    map[string]struct{}
	ivs     map[[2]int64]struct{}
	bools   [2]bool
	hasNull bool
	n       int
}

func newValueSet(t types.Type) *valueSet {
	return &valueSet{t: t, ints: map[int64]struct{}{}, strs: map[string]struct{}{}, ivs: map[[2]int64]struct{}{}}
}

func (s *valueSet) size() int { return s.n }

func probeSmall[T int32 | int64](vals []T, keys []int64, found []byte) {
	for i, v := range vals {
		var hit byte
		for _, k := range keys {
			hit |= b2u(int64(v) == k)
		}
		found[i>>3] |= hit << (i & 7)
	}
}

// floatKey makes -0 equal 0 and every NaN equal.
func floatKey(f float64) int64 {
	if f == 0 {
		return 0
	}
	if f != f {
		return 0x7ff8000000000001
	}
	return int64(math.Float64bits(f))
}

func (s *valueSet) add(v any) {
	if v == nil {
		s.hasNull = true
		return
	}
	s.n++
	switch x := v.(type) {
	case bool:
		s.bools[b2u(x)] = true
	case int32:
		s.ints[int64(x)] = struct{}{}
	case int64:
		s.ints[x] = struct{}{}
	case float64:
		s.ints[floatKey(x)] = struct{}{}
	case string:
		s.strs[x] = struct{}{}
	case types.IntervalValue:
		d, r := intervalKey(toMDN(x))
		s.ivs[[2]int64{d, r}] = struct{}{}
	}
}

// probe sets found[i] for every row of x whose value is in the set.
func (s *valueSet) probe(x arrow.Array, found []byte) {
	if small := len(s.ints); small > 0 && small <= 8 && s.t.Kind != types.Double {
		// A short list is faster to scan than to hash.
		keys := make([]int64, 0, small)
		for k := range s.ints {
			keys = append(keys, k)
		}
		switch s.t.Kind {
		case types.Integer, types.Date:
			probeSmall(values[int32](x), keys, found)
		case types.Bigint, types.Timestamp:
			probeSmall(values[int64](x), keys, found)
		}
		return
	}
	switch s.t.Kind {
	case types.Integer, types.Date:
		for i, v := range values[int32](x) {
			if _, ok := s.ints[int64(v)]; ok {
				bitutil.SetBit(found, i)
			}
		}
	case types.Bigint, types.Timestamp:
		for i, v := range values[int64](x) {
			if _, ok := s.ints[v]; ok {
				bitutil.SetBit(found, i)
			}
		}
	case types.Double:
		for i, v := range values[float64](x) {
			if _, ok := s.ints[floatKey(v)]; ok {
				bitutil.SetBit(found, i)
			}
		}
	case types.Varchar, types.JSON:
		offs, data := strData(x.(*array.String))
		for i := 0; i < x.Len(); i++ {
			if _, ok := s.strs[data[offs[i]:offs[i+1]]]; ok {
				bitutil.SetBit(found, i)
			}
		}
	case types.Boolean:
		a := x.(*array.Boolean)
		for i := 0; i < a.Len(); i++ {
			if s.bools[b2u(a.Value(i))] {
				bitutil.SetBit(found, i)
			}
		}
	case types.Interval:
		for i, v := range values[mdn](x) {
			d, r := intervalKey(v)
			if _, ok := s.ivs[[2]int64{d, r}]; ok {
				bitutil.SetBit(found, i)
			}
		}
	}
}
