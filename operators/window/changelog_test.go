package window

import (
	"bytes"
	"context"
	"math/rand"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/internal/optest"
	"github.com/streamsql/streamsql/operators"
)

// The changelog test input: k VARCHAR, v BIGINT, ok BOOLEAN, _op VARCHAR.
var clSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: operators.OpColumn, Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// chg is one changelog row; v < 0 is NULL, del makes it a delete.
type chg struct {
	k   string
	v   int64
	ok  bool
	del bool
}

func mkChanges(mem memory.Allocator, rows []chg, ops bool) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, clSchema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.StringBuilder).Append(r.k)
		if r.v < 0 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.Int64Builder).Append(r.v)
		}
		b.Field(2).(*array.BooleanBuilder).Append(r.ok)
		op := operators.OpInsert
		if r.del && ops {
			op = operators.OpDelete
		}
		b.Field(3).(*array.StringBuilder).Append(op)
	}
	return b.NewRecordBatch()
}

func changelogSpec(keyed bool) Spec {
	s := Spec{Kind: Global, Emit: Changes, Input: clSchema, TimeCol: -1, OpCol: 3, Aggs: []operators.AggSpec{
		{Func: "count", Filter: -1, Name: "cnt"},
		{Func: "count", Args: []int{1}, Filter: -1, Name: "cnt_v"},
		{Func: "sum", Args: []int{1}, Filter: -1, Name: "sum"},
		{Func: "avg", Args: []int{1}, Filter: -1, Name: "avg"},
		{Func: "sum", Args: []int{1}, Filter: 2, Name: "sum_ok"},
	}}
	if keyed {
		s.GroupCols, s.GroupNames = []int{0}, []string{"k"}
	}
	return s
}

// clRun feeds batches, with a snapshot and restore after those in snapAt,
// and returns the rendered output.
func clRun(t *testing.T, mem memory.Allocator, spec Spec, batches [][]chg, snapAt map[int]bool, clock *int64) []string {
	t.Helper()
	ctx := context.Background()
	if clock != nil {
		spec.Now = func() time.Time { return time.UnixMicro(*clock) }
	}
	open := func() *Aggregate {
		op, err := NewAggregate(spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := op.Open(ctx, mem); err != nil {
			t.Fatal(err)
		}
		return op
	}
	op := open()
	defer func() { op.Close() }()
	var out []string
	emit := func(b arrow.RecordBatch) error {
		defer b.Release()
		optest.CheckEmitted(t, b, op.Schema(), operators.BatchSize)
		for i := 0; i < int(b.NumRows()); i++ {
			out = append(out, render(b, i))
		}
		return nil
	}
	for i, rows := range batches {
		b := mkChanges(mem, rows, true)
		err := op.ProcessBatch(ctx, 0, b, emit)
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
		if clock != nil {
			*clock += 3
		}
		if snapAt[i] {
			op = optest.Restart(t, op, open)
		}
	}
	if err := op.EndOfInput(ctx, 0, emit); err != nil {
		t.Fatal(err)
	}
	if st := op.Stats(); st.StateBytes != 0 || st.LateRows != 0 {
		t.Errorf("stats after end %+v", st)
	}
	return out
}

// netRows runs a batch GROUP BY over rows and returns its rendered rows,
// sorted.
func netRows(t *testing.T, mem memory.Allocator, spec Spec, rows []chg) []string {
	t.Helper()
	ctx := context.Background()
	op, err := operators.NewHashAggregate(clSchema, spec.GroupCols, spec.GroupNames, spec.Aggs)
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Open(ctx, mem); err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	var out []string
	emit := func(b arrow.RecordBatch) error {
		defer b.Release()
		for i := 0; i < int(b.NumRows()); i++ {
			out = append(out, render(b, i))
		}
		return nil
	}
	if len(rows) > 0 {
		b := mkChanges(mem, rows, false)
		err := op.ProcessBatch(ctx, 0, b, emit)
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := op.EndOfInput(ctx, 0, emit); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestChangelogInputExample(t *testing.T) {
	mem := optest.CheckedMem(t)
	spec := changelogSpec(true)
	spec.Aggs = spec.Aggs[:3]
	got := clRun(t, mem, spec, [][]chg{
		{{k: "a", v: 1}, {k: "a", v: 2}, {k: "b", v: 5}},
		{{k: "a", v: 1, del: true}},
		{{k: "b", v: 5, del: true}, {k: "c", v: -1}},
		{{k: "b", v: 7}},
	}, map[int]bool{1: true}, nil)
	want := []string{
		"a 2 2 3 +", "b 1 1 5 +",
		"a 2 2 3 -", "a 1 1 2 +",
		"b 1 1 5 -", "c 1 0 NULL +",
		"b 1 1 7 +",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestChangelogInputUnkeyedKeepsItsRow(t *testing.T) {
	mem := optest.CheckedMem(t)
	spec := changelogSpec(false)
	spec.Aggs = spec.Aggs[:3]
	got := clRun(t, mem, spec, [][]chg{
		{{k: "a", v: 4}},
		{{k: "a", v: 4, del: true}},
	}, nil, nil)
	want := []string{"1 1 4 +", "1 1 4 -", "0 0 NULL +"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestChangelogInputProperty: random inserts and deletes (each of a row
// inserted before), the applied output changelog equals a batch GROUP BY
// over the rows that remain.
func TestChangelogInputProperty(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		for _, keyed := range []bool{true, false} {
			clProperty(t, seed, keyed, seed%4 == 0)
		}
	}
}

func clProperty(t *testing.T, seed int64, keyed, throttled bool) {
	mem := optest.CheckedMem(t)
	r := rand.New(rand.NewSource(seed))
	keys := []string{"a", "b", "c", "d"}
	var live []chg
	var batches [][]chg
	snapAt := map[int]bool{}
	for i := 0; i < 25; i++ {
		var batch []chg
		for n := r.Intn(8); n > 0; n-- {
			if len(live) > 0 && r.Intn(5) < 2 {
				j := r.Intn(len(live))
				d := live[j]
				live = append(live[:j], live[j+1:]...)
				d.del = true
				batch = append(batch, d)
				continue
			}
			c := chg{k: keys[r.Intn(len(keys))], v: int64(r.Intn(20)), ok: r.Intn(3) > 0}
			if r.Intn(8) == 0 {
				c.v = -1
			}
			live = append(live, c)
			batch = append(batch, c)
		}
		batches = append(batches, batch)
		if r.Intn(6) == 0 {
			snapAt[i] = true
		}
	}
	spec := changelogSpec(keyed)
	var clock *int64
	if throttled {
		spec.EmitEvery = 10
		clock = new(int64)
	}
	out := clRun(t, mem, spec, batches, snapAt, clock)
	got := applyChangelog(t, out, true)
	want := netRows(t, mem, spec, live)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("seed %d keyed %v: got\n%s\nwant\n%s", seed, keyed, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestChangelogInputErrors(t *testing.T) {
	ctx := context.Background()
	specErr := func(name string, mod func(*Spec), want string) {
		s := changelogSpec(true)
		mod(&s)
		_, err := NewAggregate(s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", name, err, want)
		}
	}
	specErr("max", func(s *Spec) {
		s.Aggs = []operators.AggSpec{{Func: "max", Args: []int{1}, Filter: -1, Name: "m"}}
	}, "not supported over an updating input")
	specErr("min", func(s *Spec) {
		s.Aggs = []operators.AggSpec{{Func: "min", Args: []int{1}, Filter: -1, Name: "m"}}
	}, "not supported over an updating input")
	specErr("count distinct", func(s *Spec) {
		s.Aggs = []operators.AggSpec{{Func: "count", Args: []int{1}, Distinct: true, Filter: -1, Name: "m"}}
	}, "not supported over an updating input")
	specErr("on close", func(s *Spec) { s.Emit = OnWindowClose }, "needs a global aggregate with EMIT CHANGES")
	specErr("tumble", func(s *Spec) { s.Kind, s.Size = Tumble, 10 }, "needs a global aggregate")
	specErr("range", func(s *Spec) { s.OpCol = 9 }, "op column 9 out of range")
	specErr("name", func(s *Spec) { s.OpCol = 1 }, `op column 1 is "v"`)
	badType := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.BinaryTypes.String}, {Name: operators.OpColumn, Type: arrow.PrimitiveTypes.Int64}}, nil)
	specErr("type", func(s *Spec) { s.Input, s.OpCol, s.Aggs, s.GroupCols, s.GroupNames = badType, 1, nil, nil, nil }, "want VARCHAR")

	// Faults while processing: a delete of a row never inserted, an
	// unknown or NULL op.
	mem := optest.CheckedMem(t)
	nop := func(b arrow.RecordBatch) error { b.Release(); return nil }
	run := func(name string, b arrow.RecordBatch, want string) {
		op, err := NewAggregate(changelogSpec(true))
		if err != nil {
			t.Fatal(err)
		}
		if err := op.Open(ctx, mem); err != nil {
			t.Fatal(err)
		}
		defer op.Close()
		defer b.Release()
		ins := mkChanges(mem, []chg{{k: "a", v: 1}}, true)
		defer ins.Release()
		if err := op.ProcessBatch(ctx, 0, ins, nop); err != nil {
			t.Fatal(err)
		}
		err = op.ProcessBatch(ctx, 0, b, nop)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", name, err, want)
		}
	}
	run("never inserted", mkChanges(mem, []chg{{k: "a", v: 1, del: true}, {k: "a", v: 1, del: true}}, true), "never inserted")
	run("unknown key", mkChanges(mem, []chg{{k: "z", v: 1, del: true}}, true), "never inserted")
	opBatch := func(op any) arrow.RecordBatch {
		b := array.NewRecordBuilder(mem, clSchema)
		defer b.Release()
		b.Field(0).(*array.StringBuilder).Append("a")
		b.Field(1).(*array.Int64Builder).Append(1)
		b.Field(2).(*array.BooleanBuilder).Append(true)
		if s, ok := op.(string); ok {
			b.Field(3).(*array.StringBuilder).Append(s)
		} else {
			b.Field(3).AppendNull()
		}
		return b.NewRecordBatch()
	}
	run("unknown op", opBatch("upsert"), `unknown _op "upsert"`)
	run("NULL op", opBatch(nil), "NULL _op")
}

// TestChangelogOpColZeroValue: a spec that predates OpCol (zero value,
// column 0 not named _op) stays append-only.
func TestChangelogOpColZeroValue(t *testing.T) {
	s := global(true)
	s.OpCol = 0
	a, err := NewAggregate(s)
	if err != nil {
		t.Fatal(err)
	}
	if a.retract {
		t.Error("zero OpCol made the aggregate retracting")
	}
}

// TestChangelogSnapshotFaults: a snapshot with a negative group row count
// or of an append-only aggregate does not restore; an op column of the
// wrong type in a batch fails it.
func TestChangelogSnapshotFaults(t *testing.T) {
	ctx := context.Background()
	mem := optest.CheckedMem(t)
	nop := func(b arrow.RecordBatch) error { b.Release(); return nil }
	open := func(s Spec) *Aggregate {
		op, err := NewAggregate(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := op.Open(ctx, mem); err != nil {
			t.Fatal(err)
		}
		return op
	}
	op := open(changelogSpec(true))
	b := mkChanges(mem, []chg{{k: "a", v: 1}}, true)
	if err := op.ProcessBatch(ctx, 0, b, nop); err != nil {
		t.Fatal(err)
	}
	b.Release()
	op.slices[0].live[0] = -1
	var buf bytes.Buffer
	if err := op.Snapshot(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	op.Close()
	op2 := open(changelogSpec(true))
	if err := op2.Restore(ctx, &buf); err == nil || !strings.Contains(err.Error(), "negative group row count") {
		t.Errorf("negative count: got %v", err)
	}
	op2.Close()

	plain := changelogSpec(true)
	plain.OpCol, plain.Input = -1, clSchema
	op3 := open(plain)
	buf.Reset()
	if err := op3.Snapshot(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	op3.Close()
	op4 := open(changelogSpec(true))
	if err := op4.Restore(ctx, &buf); err == nil {
		t.Error("append-only snapshot restored into a changelog aggregate")
	}
	op4.Close()

	// A batch whose _op column is not VARCHAR.
	bad := arrow.NewSchema([]arrow.Field{clSchema.Field(0), clSchema.Field(1), clSchema.Field(2),
		{Name: operators.OpColumn, Type: arrow.PrimitiveTypes.Int64}}, nil)
	bb := optest.Batch(t, mem, bad, [][]any{{"a", 1, true, 1}})
	defer bb.Release()
	op5 := open(changelogSpec(true))
	defer op5.Close()
	if err := op5.ProcessBatch(ctx, 0, bb, nop); err == nil || !strings.Contains(err.Error(), "column _op has type int64, want utf8") {
		t.Errorf("int op column: got %v", err)
	}
}
