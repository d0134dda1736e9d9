package expr

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// Selective evaluation: CASE branches, COALESCE fallbacks and the right
// side of AND/OR run only on the rows that need them, so
// `CASE WHEN x <> 0 THEN 10 / x END` never divides by zero.

// usedCols adds the batch columns ev reads to dst; it reports false when
// it cannot tell (an evaluator type it does not know).
func usedCols(ev Evaluator, dst map[int]bool) bool {
	switch e := ev.(type) {
	case *colEval:
		dst[e.pos] = true
	case *constEval:
	case *funcEval:
		for _, a := range e.args {
			if a != nil && !usedCols(a, dst) {
				return false
			}
		}
	case *castEval:
		return usedCols(e.x, dst)
	case *caseEval:
		for _, w := range e.whens {
			if !usedCols(w.cond, dst) || !usedCols(w.res, dst) {
				return false
			}
		}
		return usedCols(e.els, dst)
	case *logicEval:
		return usedCols(e.a, dst) && usedCols(e.b, dst)
	case *choiceEval:
		for _, a := range e.args {
			if !usedCols(a, dst) {
				return false
			}
		}
	case *inListEval:
		if !usedCols(e.x, dst) {
			return false
		}
		for _, a := range e.list {
			if !usedCols(a, dst) {
				return false
			}
		}
	default:
		return false
	}
	return true
}

// safeFuncs never fail on valid input of their signature types.
var safeFuncs = map[string]bool{
	"=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true, "and": true, "or": true,
	"not": true, "||": true, "is_null": true, "is_not_null": true, "is_distinct_from": true,
	"is_not_distinct_from": true, "lower": true, "upper": true, "length": true, "concat": true,
	"trim": true, "ltrim": true, "rtrim": true, "replace": true, "starts_with": true, "ends_with": true,
	"left": true, "right": true, "strpos": true, "reverse": true, "coalesce": true, "nullif": true, "split_index": true,
	"greatest": true, "least": true, "md5": true, "hash": true, "now": true, "current_date": true,
	"pi": true, "json_get": true, "json_get_str": true, "json_get_int": true, "json_get_float": true,
	"json_get_bool": true, "json_as_text": true, "json_length": true, "json_contains": true,
	"->": true, "->>": true, "sign": true, "floor": true, "ceil": true, "exp": true,
}

// canFail reports whether evaluating ev might return an error for some
// row (division, overflow, a failing cast, …); unknown evaluators might.
func canFail(ev Evaluator) bool {
	switch e := ev.(type) {
	case *colEval, *constEval:
		return false
	case *funcEval:
		if !safeFuncs[e.name] && !e.noFail {
			return true
		}
		for _, a := range e.args {
			if a != nil && canFail(a) {
				return true
			}
		}
		return false
	case *castEval:
		from, to := e.x.Type(), e.to
		safe := e.try || to.Kind == types.Varchar || from.Kind == types.Null ||
			(from.Kind == types.Integer && (to.Kind == types.Bigint || to.Kind == types.Double)) ||
			(from.Kind == types.Bigint && to.Kind == types.Double) ||
			(from.Kind == types.Date && to.Kind == types.Timestamp) ||
			(from.Kind == types.Timestamp && to.Kind == types.Date)
		return !safe || canFail(e.x)
	case *logicEval:
		return canFail(e.a) || canFail(e.b)
	case *caseEval:
		for _, w := range e.whens {
			if canFail(w.cond) || canFail(w.res) {
				return true
			}
		}
		return canFail(e.els)
	case *choiceEval:
		for _, a := range e.args {
			if canFail(a) {
				return true
			}
		}
		return false
	case *inListEval:
		if canFail(e.x) {
			return true
		}
		for _, a := range e.list {
			if canFail(a) {
				return true
			}
		}
		return false
	}
	return true
}

// subBatch gathers rows sel of the columns ev uses into a new batch; the
// other columns become NULL-typed placeholders so positions still match.
func subBatch(mem memory.Allocator, ev Evaluator, b arrow.RecordBatch, sel []int32) (arrow.RecordBatch, error) {
	used := map[int]bool{}
	all := !usedCols(ev, used)
	ncol := int(b.NumCols())
	fields := make([]arrow.Field, ncol)
	cols := make([]arrow.Array, ncol)
	defer releaseAll(cols)
	for i := 0; i < ncol; i++ {
		if !all && !used[i] {
			fields[i] = arrow.Field{Name: b.ColumnName(i), Type: arrow.Null, Nullable: true}
			cols[i] = array.NewNull(len(sel))
			continue
		}
		c, err := take(mem, b.Column(i), sel)
		if err != nil {
			return nil, err
		}
		fields[i] = b.Schema().Field(i)
		cols[i] = c
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(len(sel))), nil
}

// evalRows evaluates ev on rows sel of b (ascending, distinct), returning
// an array of len(sel) rows.
func evalRows(ctx *Context, ev Evaluator, b arrow.RecordBatch, sel []int32) (arrow.Array, error) {
	if len(sel) == int(b.NumRows()) {
		return ev.Eval(ctx, b)
	}
	mem := allocator(ctx)
	if v, ok := constOf(ev); ok {
		return MakeArray(mem, v, ev.Type(), len(sel))
	}
	sb, err := subBatch(mem, ev, b, sel)
	if err != nil {
		return nil, fmt.Errorf("evaluating on selected rows: %w", err)
	}
	defer sb.Release()
	return ev.Eval(ctx, sb)
}

// interleave builds an array of type t whose row r is srcs[src[r]] at
// index idx[r], or NULL when src[r] < 0. Every source has type t.
func interleave(mem memory.Allocator, t types.Type, srcs []arrow.Array, src, idx []int32) (arrow.Array, error) {
	n := len(src)
	dt := t.ArrowType()
	if t.Kind == types.Null {
		return array.NewNull(n), nil
	}
	valid, vbits := newBitmap(mem, n)
	bms, offs := make([][]byte, len(srcs)), make([]int, len(srcs))
	for i, s := range srcs {
		bms[i], offs[i] = validity(s)
	}
	nulls := 0
	for r, s := range src {
		if s >= 0 && (bms[s] == nil || bitutil.BitIsSet(bms[s], offs[s]+int(idx[r]))) {
			vbits[r>>3] |= 1 << (r & 7)
		} else {
			nulls++
		}
	}
	switch t.Kind {
	case types.Boolean:
		vb, bits := newBitmap(mem, n)
		bs := make([]*array.Boolean, len(srcs))
		for i, s := range srcs {
			bs[i] = s.(*array.Boolean)
		}
		for r, s := range src {
			if s >= 0 && bs[s].Value(int(idx[r])) {
				bitutil.SetBit(bits, r)
			}
		}
		return finish(dt, n, nulls, valid, vb), nil
	case types.Varchar, types.JSON:
		type sd struct {
			offs []int32
			data string
		}
		ss := make([]sd, len(srcs))
		for i, s := range srcs {
			ss[i].offs, ss[i].data = strData(s.(*array.String))
		}
		size := 0
		for r, s := range src {
			if s >= 0 {
				o, j := ss[s].offs, idx[r]
				size += int(o[j+1] - o[j])
			}
		}
		b := newStrBuilder(mem, n, size)
		b.setValidity(valid)
		for r, s := range src {
			if s < 0 {
				b.appendString("")
				continue
			}
			o, j := ss[s].offs, idx[r]
			b.appendString(ss[s].data[o[j]:o[j+1]])
		}
		return b.finish(), nil
	case types.Integer, types.Date:
		return finish(dt, n, nulls, valid, interleaveFixed[int32](mem, srcs, src, idx)), nil
	case types.Bigint, types.Timestamp, types.Double:
		return finish(dt, n, nulls, valid, interleaveFixed[int64](mem, srcs, src, idx)), nil
	case types.Interval:
		return finish(dt, n, nulls, valid, interleaveFixed[mdn](mem, srcs, src, idx)), nil
	}
	valid.Release()
	return nil, fmt.Errorf("interleaving %s values: unsupported type", t)
}

func interleaveFixed[T arrow.FixedWidthType](mem memory.Allocator, srcs []arrow.Array, src, idx []int32) *memory.Buffer {
	vs := make([][]T, len(srcs))
	for i, s := range srcs {
		vs[i] = values[T](s)
	}
	buf, out := newFixed[T](mem, len(src))
	var zero T
	for r, s := range src {
		if s < 0 || len(vs[s]) == 0 {
			out[r] = zero
			continue
		}
		out[r] = vs[s][idx[r]]
	}
	return buf
}

// allRows is 0, 1, …, n-1.
func allRows(n int) []int32 {
	sel := make([]int32, n)
	for i := range sel {
		sel[i] = int32(i)
	}
	return sel
}
