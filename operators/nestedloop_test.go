package operators

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/types"
)

func newTestNestedLoop(t *testing.T, kind JoinKind, nullAware bool, cond func(p, b []any) tri, probe, build *arrow.Schema) *NestedLoopJoin {
	t.Helper()
	spec := NestedLoopJoinSpec{
		Kind: kind, Build: build, Probe: probe, NullAware: nullAware,
		OutSchema: joinOutSchema(kind, probe, build),
	}
	if cond != nil {
		spec.Cond = joinPred{fn: joinOffset(probe.NumFields(), cond)}
	}
	op, err := NewNestedLoopJoin(spec)
	if err != nil {
		t.Fatalf("NewNestedLoopJoin: %v", err)
	}
	return op
}

// loopMatch is when a pair joins in a NestedLoopJoin: cond is TRUE, or
// for NOT IN not FALSE.
func loopMatch(nullAware bool, cond func(p, b []any) tri) func(p, b []any) bool {
	return func(p, b []any) bool {
		r := triTrue
		if cond != nil {
			r = cond(p, b)
		}
		if nullAware {
			return r != triFalse
		}
		return r == triTrue
	}
}

func TestNestedLoopJoinMatrix(t *testing.T) {
	conds := []struct {
		name string
		fn   func(p, b []any) tri
	}{
		{"cross", nil},
		{"pv<bv", func(p, b []any) tri { return triLess(p[2], b[2]) }},
	}
	for _, keys := range joinKeySets[:3] {
		conds = append(conds, struct {
			name string
			fn   func(p, b []any) tri
		}{"eq-" + keys.name, func(p, b []any) tri { return keysEq(p, b, keys.pk, keys.bk) }})
		conds = append(conds, struct {
			name string
			fn   func(p, b []any) tri
		}{"eq-" + keys.name + "-and-pv<bv", func(p, b []any) tri {
			return triAnd(keysEq(p, b, keys.pk, keys.bk), triLess(p[2], b[2]))
		}})
	}
	kinds := append([]joinKindCase{{"crossjoin", JoinCross, false}}, joinKindCases...)
	for _, kc := range kinds {
		for _, cond := range conds {
			for _, sp := range joinSplits {
				t.Run(fmt.Sprintf("%s/%s/%s", kc.name, cond.name, sp.name), func(t *testing.T) {
					mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
					defer mem.AssertSize(t, 0)
					op := newTestNestedLoop(t, kc.kind, kc.nullAware, cond.fn, jProbeSchema, jBuildSchema)
					got, _ := runJoin(t, op, mem,
						joinBatches(t, mem, jBuildSchema, jBuildRows, sp.build...),
						joinBatches(t, mem, jProbeSchema, jProbeRows, sp.probe...))
					sameRows(t, got, joinRef(kc.kind, jProbeRows, jBuildRows, 3, 3, loopMatch(kc.nullAware, cond.fn)))
				})
			}
		}
	}
}

func TestNestedLoopJoinEmptySides(t *testing.T) {
	sides := []struct {
		name         string
		probe, build [][]any
		psz, bsz     []int
	}{
		{"no-build-batches", jProbeRows, nil, []int{4}, []int{}},
		{"empty-build-batches", jProbeRows, nil, nil, []int{0, 0}},
		{"no-probe-batches", nil, jBuildRows, []int{}, []int{3}},
		{"empty-probe-batch", nil, jBuildRows, nil, nil},
	}
	cond := func(p, b []any) tri { return triEq(p[0], b[0]) }
	kinds := append([]joinKindCase{{"crossjoin", JoinCross, false}}, joinKindCases...)
	for _, kc := range kinds {
		for _, s := range sides {
			for _, c := range []func(p, b []any) tri{nil, cond} {
				t.Run(fmt.Sprintf("%s/%s/cond=%v", kc.name, s.name, c != nil), func(t *testing.T) {
					mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
					defer mem.AssertSize(t, 0)
					op := newTestNestedLoop(t, kc.kind, kc.nullAware, c, jProbeSchema, jBuildSchema)
					got, _ := runJoin(t, op, mem,
						joinBatches(t, mem, jBuildSchema, s.build, s.bsz...),
						joinBatches(t, mem, jProbeSchema, s.probe, s.psz...))
					sameRows(t, got, joinRef(kc.kind, s.probe, s.build, 3, 3, loopMatch(kc.nullAware, c)))
				})
			}
		}
	}
}

func TestNestedLoopJoinNotIn(t *testing.T) {
	s := joinSchema("x", arrow.PrimitiveTypes.Int64)
	probe := [][]any{{int64(1)}, {int64(2)}, {nil}}
	eq := func(p, b []any) tri { return triEq(p[0], b[0]) }
	cases := []struct {
		name  string
		build [][]any
		want  []string
	}{
		{"null-in-subquery", [][]any{{int64(2)}, {nil}}, nil},
		{"empty-subquery", nil, []string{"1", "2", "NULL"}},
		{"no-nulls", [][]any{{int64(2)}, {int64(3)}}, []string{"1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			op := newTestNestedLoop(t, JoinAnti, true, eq, s, s)
			got, _ := runJoin(t, op, mem, joinBatches(t, mem, s, c.build), joinBatches(t, mem, s, probe))
			sameRows(t, got, c.want)
		})
	}
}

// TestNestedLoopJoinOutputSplit checks blocks and output batches across
// the 8192 boundary.
func TestNestedLoopJoinOutputSplit(t *testing.T) {
	s := joinSchema("k", arrow.PrimitiveTypes.Int64, "v", arrow.PrimitiveTypes.Int64)
	rows := func(n int) [][]any {
		out := make([][]any, n)
		for i := range out {
			out[i] = []any{int64(i % 7), int64(i)}
		}
		return out
	}
	probe, build := rows(300), rows(100)
	cases := []struct {
		name string
		kind JoinKind
		cond func(p, b []any) tri
	}{
		{"cross", JoinCross, nil},
		{"cross-right", JoinRight, nil},
		{"less", JoinInner, func(p, b []any) tri { return triLess(p[1], b[1]) }},
		{"left-eq", JoinLeft, func(p, b []any) tri { return triEq(p[0], b[0]) }},
		{"semi-less", JoinSemi, func(p, b []any) tri { return triLess(p[1], b[1]) }},
		{"anti-less", JoinAnti, func(p, b []any) tri { return triLess(p[1], b[1]) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			op := newTestNestedLoop(t, c.kind, false, c.cond, s, s)
			got, _ := runJoin(t, op, mem, joinBatches(t, mem, s, build, 64), joinBatches(t, mem, s, probe, 100, 0, 150))
			sameRows(t, got, joinRef(c.kind, probe, build, 2, 2, loopMatch(false, c.cond)))
		})
	}
}

func TestNestedLoopJoinErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	boom := errors.New("boom")
	op, err := NewNestedLoopJoin(NestedLoopJoinSpec{
		Kind: JoinLeft, Build: jBuildSchema, Probe: jProbeSchema,
		Cond: joinPred{err: boom}, OutSchema: joinOutSchema(JoinLeft, jProbeSchema, jBuildSchema),
	})
	if err != nil {
		t.Fatal(err)
	}
	build := joinBatches(t, mem, jBuildSchema, jBuildRows)
	probe := joinBatches(t, mem, jProbeSchema, jProbeRows)
	defer releaseBatches(build)
	defer releaseBatches(probe)
	emit := func(b arrow.RecordBatch) error { b.Release(); return nil }
	if err := op.Open(ctx, mem); err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	if err := op.ProcessBatch(ctx, 0, build[0], emit); err != nil {
		t.Fatal(err)
	}
	if err := op.EndOfInput(ctx, 0, emit); err != nil {
		t.Fatal(err)
	}
	if err := op.ProcessBatch(ctx, 1, probe[0], emit); !errors.Is(err, boom) {
		t.Errorf("got %v, want the condition's error wrapped", err)
	}
	if err := op.ProcessBatch(ctx, 2, probe[0], emit); err == nil {
		t.Error("input 2: no error")
	}

	// ErrDone from downstream comes back as is.
	cross, err := NewNestedLoopJoin(NestedLoopJoinSpec{Kind: JoinCross, Build: jBuildSchema, Probe: jProbeSchema,
		OutSchema: joinOutSchema(JoinCross, jProbeSchema, jBuildSchema)})
	if err != nil {
		t.Fatal(err)
	}
	done := func(b arrow.RecordBatch) error { b.Release(); return ErrDone }
	if err := cross.Open(ctx, mem); err != nil {
		t.Fatal(err)
	}
	defer cross.Close()
	if err := cross.ProcessBatch(ctx, 0, build[0], done); err != nil {
		t.Fatal(err)
	}
	if err := cross.EndOfInput(ctx, 0, done); err != nil {
		t.Fatal(err)
	}
	if err := cross.ProcessBatch(ctx, 1, probe[0], done); err != ErrDone {
		t.Errorf("got %v, want ErrDone", err)
	}

	if _, err := NewNestedLoopJoin(NestedLoopJoinSpec{Kind: JoinInner, Build: jBuildSchema, Probe: jProbeSchema,
		Cond: joinConst{typ: types.BigintType}, OutSchema: joinOutSchema(JoinInner, jProbeSchema, jBuildSchema)}); err == nil {
		t.Error("BIGINT condition: no error")
	}
	if _, err := NewNestedLoopJoin(NestedLoopJoinSpec{Kind: JoinSemi, Build: jBuildSchema, Probe: jProbeSchema, NullAware: true,
		OutSchema: jProbeSchema}); err == nil {
		t.Error("NullAware semi join: no error")
	}
	if _, err := NewNestedLoopJoin(NestedLoopJoinSpec{Kind: JoinInner, Build: jBuildSchema, Probe: jProbeSchema,
		OutSchema: jProbeSchema}); err == nil {
		t.Error("inner join with the probe schema as output: no error")
	}
}

// joinConst is a fake condition returning a NULL-typed array (typ NULL),
// an array of the wrong length (short) or of the wrong type (BIGINT).
type joinConst struct {
	typ   types.Type
	short bool
}

func (c joinConst) Type() types.Type { return c.typ }

func (c joinConst) Eval(ctx *expr.Context, b arrow.RecordBatch) (arrow.Array, error) {
	n := int(b.NumRows())
	if c.short {
		n--
	}
	if c.typ.Kind == types.Null {
		return array.NewNull(n), nil
	}
	ib := array.NewInt64Builder(ctx.Mem)
	defer ib.Release()
	for range n {
		ib.Append(1)
	}
	return ib.NewArray(), nil
}

// TestNestedLoopJoinConditionResults covers an all-NULL condition (which
// rejects under NOT IN only) and malformed condition results.
func TestNestedLoopJoinConditionResults(t *testing.T) {
	nullCond := joinConst{typ: types.NullType}
	cases := []struct {
		name      string
		kind      JoinKind
		nullAware bool
		cond      joinConst
		want      int // rows, or -1 for an error
	}{
		{"null-inner", JoinInner, false, nullCond, 0},
		{"null-left", JoinLeft, false, nullCond, len(jProbeRows)},
		{"null-anti", JoinAnti, false, nullCond, len(jProbeRows)},
		{"null-notin", JoinAnti, true, nullCond, 0},
		{"short-result", JoinInner, false, joinConst{typ: types.NullType, short: true}, -1},
		{"bigint-result", JoinInner, false, joinConst{typ: types.BooleanType}, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ctx := context.Background()
			op, err := NewNestedLoopJoin(NestedLoopJoinSpec{Kind: c.kind, Build: jBuildSchema, Probe: jProbeSchema,
				Cond: c.cond, NullAware: c.nullAware, OutSchema: joinOutSchema(c.kind, jProbeSchema, jBuildSchema)})
			if err != nil {
				t.Fatal(err)
			}
			build := joinBatches(t, mem, jBuildSchema, jBuildRows)
			probe := joinBatches(t, mem, jProbeSchema, jProbeRows)
			defer releaseBatches(build)
			defer releaseBatches(probe)
			rows := 0
			emit := func(b arrow.RecordBatch) error { rows += int(b.NumRows()); b.Release(); return nil }
			if err := op.Open(ctx, mem); err != nil {
				t.Fatal(err)
			}
			defer op.Close()
			if err := op.ProcessBatch(ctx, 0, build[0], emit); err != nil {
				t.Fatal(err)
			}
			if err := op.EndOfInput(ctx, 0, emit); err != nil {
				t.Fatal(err)
			}
			err = op.ProcessBatch(ctx, 1, probe[0], emit)
			if c.want < 0 {
				if err == nil {
					t.Error("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := op.EndOfInput(ctx, 1, emit); err != nil {
				t.Fatal(err)
			}
			if rows != c.want {
				t.Errorf("%d rows, want %d", rows, c.want)
			}
		})
	}
}
