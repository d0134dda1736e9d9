package operators

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var (
	jProbeSchema = joinSchema("pk", arrow.PrimitiveTypes.Int64, "ps", arrow.BinaryTypes.String, "pv", arrow.PrimitiveTypes.Int64)
	jBuildSchema = joinSchema("bk", arrow.PrimitiveTypes.Int64, "bs", arrow.BinaryTypes.String, "bv", arrow.PrimitiveTypes.Int64)

	// Duplicate keys on both sides, NULL keys on both sides, keys only on
	// one side, and string keys that agree or not with the integer ones.
	jProbeRows = [][]any{
		{int64(1), "a", int64(10)},
		{int64(2), "b", int64(20)},
		{int64(2), "b", int64(5)},
		{int64(3), "c", int64(30)},
		{nil, "a", int64(1)},
		{int64(4), nil, int64(40)},
		{int64(5), "e", nil},
		{int64(1), "a", int64(100)},
		{nil, nil, nil},
		{int64(7), "g", int64(7)},
		{int64(2), "x", int64(25)},
	}
	jBuildRows = [][]any{
		{int64(1), "a", int64(50)},
		{int64(1), "a", int64(5)},
		{int64(2), "b", int64(10)},
		{int64(3), "x", int64(30)},
		{nil, "a", int64(0)},
		{int64(4), nil, int64(41)},
		{int64(6), "f", int64(60)},
		{int64(2), "b", int64(30)},
		{nil, nil, nil},
		{int64(5), "e", int64(1)},
	}
)

// joinKindCase is a join kind under test; NullAware only with JoinAnti.
type joinKindCase struct {
	name      string
	kind      JoinKind
	nullAware bool
}

var joinKindCases = []joinKindCase{
	{"inner", JoinInner, false},
	{"left", JoinLeft, false},
	{"right", JoinRight, false},
	{"full", JoinFull, false},
	{"semi", JoinSemi, false},
	{"anti", JoinAnti, false},
	{"notin", JoinAnti, true},
}

type joinSplit struct {
	name         string
	probe, build []int // batch sizes (see joinBatches)
}

var joinSplits = []joinSplit{
	{"one-batch", nil, nil},
	{"batches", []int{3, 0, 4}, []int{0, 2, 5}},
	{"row-per-batch", []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0}, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 0}},
}

type joinKeySet struct {
	name   string
	pk, bk []int
}

var joinKeySets = []joinKeySet{
	{"int", []int{0}, []int{0}},
	{"string", []int{1}, []int{1}},
	{"int+string", []int{0, 1}, []int{0, 1}},
	{"string+int", []int{1, 0}, []int{1, 0}},
}

type joinResidual struct {
	name string
	fn   func(p, b []any) tri // nil: no residual
}

var joinResiduals = []joinResidual{
	{"none", nil},
	{"pv<bv", func(p, b []any) tri { return triLess(p[2], b[2]) }},
}

// hashMatch is when a pair joins in a HashJoin, per its documentation.
func hashMatch(kc joinKindCase, keys joinKeySet, res func(p, b []any) tri) func(p, b []any) bool {
	return func(p, b []any) bool {
		k := keysEq(p, b, keys.pk, keys.bk)
		r := triTrue
		if res != nil {
			r = res(p, b)
		}
		if kc.nullAware {
			return k != triFalse && r == triTrue
		}
		return k == triTrue && r == triTrue
	}
}

func newTestHashJoin(t *testing.T, kc joinKindCase, keys joinKeySet, res func(p, b []any) tri, probe, build *arrow.Schema) *HashJoin {
	t.Helper()
	spec := HashJoinSpec{
		Kind: kc.kind, Build: build, Probe: probe,
		BuildKeys: keys.bk, ProbeKeys: keys.pk,
		NullAware: kc.nullAware,
		OutSchema: joinOutSchema(kc.kind, probe, build),
	}
	if res != nil {
		spec.Residual = joinPred{fn: joinOffset(probe.NumFields(), res)}
	}
	op, err := NewHashJoin(spec)
	if err != nil {
		t.Fatalf("NewHashJoin: %v", err)
	}
	return op
}

func TestHashJoinMatrix(t *testing.T) {
	for _, kc := range joinKindCases {
		for _, keys := range joinKeySets {
			for _, res := range joinResiduals {
				for _, sp := range joinSplits {
					t.Run(fmt.Sprintf("%s/%s/%s/%s", kc.name, keys.name, res.name, sp.name), func(t *testing.T) {
						mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
						defer mem.AssertSize(t, 0)
						op := newTestHashJoin(t, kc, keys, res.fn, jProbeSchema, jBuildSchema)
						got, _ := runJoin(t, op, mem,
							joinBatches(t, mem, jBuildSchema, jBuildRows, sp.build...),
							joinBatches(t, mem, jProbeSchema, jProbeRows, sp.probe...))
						want := joinRef(kc.kind, jProbeRows, jBuildRows, 3, 3, hashMatch(kc, keys, res.fn))
						sameRows(t, got, want)
					})
				}
			}
		}
	}
}

func TestHashJoinEmptySides(t *testing.T) {
	sides := []struct {
		name         string
		probe, build [][]any
		psz, bsz     []int
	}{
		{"no-build-batches", jProbeRows, nil, []int{4}, []int{}},
		{"empty-build-batch", jProbeRows, nil, []int{4}, nil},
		{"empty-build-batches", jProbeRows, nil, nil, []int{0, 0}},
		{"no-probe-batches", nil, jBuildRows, []int{}, []int{3}},
		{"empty-probe-batches", nil, jBuildRows, []int{0, 0}, nil},
		{"both-empty", nil, nil, nil, nil},
	}
	for _, kc := range joinKindCases {
		for _, s := range sides {
			for _, res := range joinResiduals {
				t.Run(kc.name+"/"+s.name+"/"+res.name, func(t *testing.T) {
					mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
					defer mem.AssertSize(t, 0)
					keys := joinKeySets[0]
					op := newTestHashJoin(t, kc, keys, res.fn, jProbeSchema, jBuildSchema)
					got, _ := runJoin(t, op, mem,
						joinBatches(t, mem, jBuildSchema, s.build, s.bsz...),
						joinBatches(t, mem, jProbeSchema, s.probe, s.psz...))
					sameRows(t, got, joinRef(kc.kind, s.probe, s.build, 3, 3, hashMatch(kc, keys, res.fn)))
				})
			}
		}
	}
}

// TestHashJoinNotIn spells out NOT IN's NULL rules.
func TestHashJoinNotIn(t *testing.T) {
	one := joinSchema("x", arrow.PrimitiveTypes.Int64)
	two := joinSchema("x", arrow.PrimitiveTypes.Int64, "y", arrow.PrimitiveTypes.Int64)
	probe1 := [][]any{{int64(1)}, {int64(2)}, {nil}}
	cases := []struct {
		name         string
		s            *arrow.Schema
		keys         []int
		probe, build [][]any
		want         []string
	}{
		{"null-in-subquery", one, []int{0}, probe1, [][]any{{int64(2)}, {nil}}, nil},
		{"empty-subquery", one, []int{0}, probe1, nil, []string{"1", "2", "NULL"}},
		{"no-nulls", one, []int{0}, probe1, [][]any{{int64(2)}, {int64(3)}}, []string{"1"}},
		{"row-differs-despite-null", two, []int{0, 1}, [][]any{{int64(1), nil}}, [][]any{{int64(2), int64(3)}}, []string{"1|NULL"}},
		{"row-unknown", two, []int{0, 1}, [][]any{{int64(1), nil}}, [][]any{{int64(1), int64(5)}}, nil},
		{"build-row-partly-null", two, []int{0, 1}, [][]any{{int64(1), int64(2)}, {int64(3), int64(4)}}, [][]any{{int64(1), nil}}, []string{"3|4"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			op := newTestHashJoin(t, joinKindCase{"notin", JoinAnti, true}, joinKeySet{"k", c.keys, c.keys}, nil, c.s, c.s)
			got, _ := runJoin(t, op, mem, joinBatches(t, mem, c.s, c.build), joinBatches(t, mem, c.s, c.probe))
			sameRows(t, got, c.want)
		})
	}
}

// TestHashJoinKeyTypes joins single keys of every supported type, which
// exercises the integer, string and byte-encoded indexes.
func TestHashJoinKeyTypes(t *testing.T) {
	cases := []struct {
		dt   arrow.DataType
		vals []any // probe and build draw keys from these
	}{
		{arrow.PrimitiveTypes.Int64, []any{int64(-1), int64(1) << 40, nil}},
		{arrow.PrimitiveTypes.Int32, []any{int32(-7), int32(7), nil}},
		{arrow.FixedWidthTypes.Date32, []any{arrow.Date32(19000), arrow.Date32(0), nil}},
		{&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, []any{arrow.Timestamp(1e15), arrow.Timestamp(-5), nil}},
		{arrow.PrimitiveTypes.Float64, []any{1.5, -2.25, nil}},
		{arrow.FixedWidthTypes.Boolean, []any{true, false, nil}},
		{arrow.BinaryTypes.String, []any{"", "héllo", nil}},
	}
	for _, c := range cases {
		for _, kc := range joinKindCases[:4] {
			t.Run(c.dt.String()+"/"+kc.name, func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				s := joinSchema("k", c.dt, "n", arrow.PrimitiveTypes.Int64)
				var probe, build [][]any
				for i := range 7 {
					probe = append(probe, []any{c.vals[i%3], int64(i)})
					build = append(build, []any{c.vals[(i*2)%3], int64(100 + i)})
				}
				build = build[:5]
				keys := joinKeySet{"k", []int{0}, []int{0}}
				op := newTestHashJoin(t, kc, keys, nil, s, s)
				got, _ := runJoin(t, op, mem, joinBatches(t, mem, s, build, 2), joinBatches(t, mem, s, probe, 3))
				sameRows(t, got, joinRef(kc.kind, probe, build, 2, 2, hashMatch(kc, keys, nil)))
			})
		}
	}
}

// TestHashJoinOutputSplit checks that large outputs come in batches of at
// most 8192 rows: a many-to-many blow-up, a 1:1 join of a probe batch
// larger than 8192 rows, and unmatched build rows of a right join.
func TestHashJoinOutputSplit(t *testing.T) {
	s := joinSchema("k", arrow.PrimitiveTypes.Int64, "v", arrow.PrimitiveTypes.Int64)
	seq := func(n int, key func(int) int64) [][]any {
		rows := make([][]any, n)
		for i := range rows {
			rows[i] = []any{key(i), int64(i)}
		}
		return rows
	}
	cases := []struct {
		name         string
		kind         JoinKind
		probe, build [][]any
		rows         int
	}{
		{"dup-blowup", JoinInner, seq(10000, func(int) int64 { return 1 }), seq(3, func(int) int64 { return 1 }), 30000},
		{"one-to-one", JoinInner, seq(20000, func(i int) int64 { return int64(i) }), seq(20000, func(i int) int64 { return int64(19999 - i) }), 20000},
		{"left-half", JoinLeft, seq(20000, func(i int) int64 { return int64(i) }), seq(10000, func(i int) int64 { return int64(2 * i) }), 20000},
		{"right-unmatched", JoinRight, seq(10, func(i int) int64 { return int64(i) }), seq(20000, func(i int) int64 { return int64(i) }), 20000},
		{"anti", JoinAnti, seq(20000, func(i int) int64 { return int64(i) }), seq(10, func(i int) int64 { return int64(-i) }), 19999},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			kc := joinKindCase{c.name, c.kind, false}
			keys := joinKeySet{"k", []int{0}, []int{0}}
			op := newTestHashJoin(t, kc, keys, nil, s, s)
			got, sizes := runJoin(t, op, mem, joinBatches(t, mem, s, c.build, 7000), joinBatches(t, mem, s, c.probe))
			if len(got) != c.rows {
				t.Fatalf("got %d rows, want %d", len(got), c.rows)
			}
			total := 0
			for _, n := range sizes {
				total += n
			}
			if total != c.rows || len(sizes) < (c.rows+BatchSize-1)/BatchSize {
				t.Errorf("batch sizes %v", sizes)
			}
			key := func(row []any) string { return fmt.Sprint(row[0]) }
			sameRows(t, got, joinRefBucketed(c.kind, c.probe, c.build, 2, 2, hashMatch(kc, keys, nil), key))
		})
	}
}

func TestHashJoinErrDone(t *testing.T) {
	for _, kc := range joinKindCases {
		t.Run(kc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ctx := context.Background()
			op := newTestHashJoin(t, kc, joinKeySets[0], nil, jProbeSchema, jBuildSchema)
			emit := func(b arrow.RecordBatch) error { b.Release(); return ErrDone }
			build := joinBatches(t, mem, jBuildSchema, jBuildRows)
			probe := joinBatches(t, mem, jProbeSchema, jProbeRows)
			defer releaseBatches(build)
			defer releaseBatches(probe)
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
			err := op.ProcessBatch(ctx, 1, probe[0], emit)
			if kc.nullAware { // a NULL in the subquery: nothing to emit
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err != ErrDone {
				t.Errorf("got %v, want ErrDone as is", err)
			}
		})
	}
}

func TestHashJoinResidualError(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	boom := errors.New("boom")
	op, err := NewHashJoin(HashJoinSpec{
		Kind: JoinInner, Build: jBuildSchema, Probe: jProbeSchema, BuildKeys: []int{0}, ProbeKeys: []int{0},
		Residual: joinPred{err: boom}, OutSchema: joinOutSchema(JoinInner, jProbeSchema, jBuildSchema),
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
	if err := op.ProcessBatch(ctx, 1, probe[0], emit); err == nil {
		t.Error("probe batch before the build side ended: no error")
	}
	if err := op.ProcessBatch(ctx, 0, build[0], emit); err != nil {
		t.Fatal(err)
	}
	if err := op.EndOfInput(ctx, 0, emit); err != nil {
		t.Fatal(err)
	}
	err = op.ProcessBatch(ctx, 1, probe[0], emit)
	if !errors.Is(err, boom) {
		t.Errorf("got %v, want the residual's error wrapped", err)
	}
	if err := op.ProcessBatch(ctx, 1, build[0], emit); err == nil {
		t.Error("batch with the wrong schema: no error")
	}
}

func TestNewHashJoinErrors(t *testing.T) {
	out := joinOutSchema(JoinInner, jProbeSchema, jBuildSchema)
	notNull := arrow.NewSchema(append(append([]arrow.Field{}, jProbeSchema.Fields()...),
		arrow.Field{Name: "bk", Type: arrow.PrimitiveTypes.Int64},
		jBuildSchema.Field(1), jBuildSchema.Field(2)), nil)
	cases := []struct {
		name string
		spec HashJoinSpec
	}{
		{"no-keys", HashJoinSpec{Kind: JoinInner, Build: jBuildSchema, Probe: jProbeSchema, OutSchema: out}},
		{"key-count", HashJoinSpec{Kind: JoinInner, Build: jBuildSchema, Probe: jProbeSchema, BuildKeys: []int{0}, ProbeKeys: []int{0, 1}, OutSchema: out}},
		{"key-range", HashJoinSpec{Kind: JoinInner, Build: jBuildSchema, Probe: jProbeSchema, BuildKeys: []int{3}, ProbeKeys: []int{0}, OutSchema: out}},
		{"key-types", HashJoinSpec{Kind: JoinInner, Build: jBuildSchema, Probe: jProbeSchema, BuildKeys: []int{1}, ProbeKeys: []int{0}, OutSchema: out}},
		{"cross", HashJoinSpec{Kind: JoinCross, Build: jBuildSchema, Probe: jProbeSchema, BuildKeys: []int{0}, ProbeKeys: []int{0}, OutSchema: out}},
		{"null-aware-inner", HashJoinSpec{Kind: JoinInner, Build: jBuildSchema, Probe: jProbeSchema, BuildKeys: []int{0}, ProbeKeys: []int{0}, NullAware: true, OutSchema: out}},
		{"semi-out-schema", HashJoinSpec{Kind: JoinSemi, Build: jBuildSchema, Probe: jProbeSchema, BuildKeys: []int{0}, ProbeKeys: []int{0}, OutSchema: out}},
		{"left-not-nullable", HashJoinSpec{Kind: JoinLeft, Build: jBuildSchema, Probe: jProbeSchema, BuildKeys: []int{0}, ProbeKeys: []int{0}, OutSchema: notNull}},
		{"no-schemas", HashJoinSpec{Kind: JoinInner, BuildKeys: []int{0}, ProbeKeys: []int{0}}},
		{"bad-kind", HashJoinSpec{Kind: JoinKind(42), Build: jBuildSchema, Probe: jProbeSchema, BuildKeys: []int{0}, ProbeKeys: []int{0}, OutSchema: out}},
	}
	for _, c := range cases {
		if _, err := NewHashJoin(c.spec); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	// An inner join may have non-nullable columns.
	if _, err := NewHashJoin(HashJoinSpec{Kind: JoinInner, Build: jBuildSchema, Probe: jProbeSchema, BuildKeys: []int{0}, ProbeKeys: []int{0}, OutSchema: notNull}); err != nil {
		t.Errorf("inner join with a non-nullable column: %v", err)
	}
}
