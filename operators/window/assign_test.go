package window

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/internal/optest"
	"github.com/streamsql/streamsql/operators"
)

func assignSpec(kind Kind, slide, size int64) AssignSpec {
	return AssignSpec{Kind: kind, Slide: slide, Size: size, TimeCol: colTS, Input: testSchema}
}

// runAssign feeds batches to a new Assign and returns the rendered rows,
// the late rows' times and the operator (closed).
func runAssign(t *testing.T, mem memory.Allocator, spec AssignSpec, batches ...[]ev) ([]string, []string, *Assign) {
	t.Helper()
	ctx := context.Background()
	op, err := NewAssign(spec)
	if err != nil {
		t.Fatal(err)
	}
	var late []string
	op.RouteLate(func(b arrow.RecordBatch, reason string) error {
		defer b.Release()
		for i := 0; i < int(b.NumRows()); i++ {
			late = append(late, value(b.Column(colTS), i)+" "+reason)
		}
		return nil
	})
	if err := op.Open(ctx, mem); err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	var out []string
	emit := func(b arrow.RecordBatch) error {
		defer b.Release()
		if !b.Schema().Equal(op.Schema()) {
			t.Errorf("emitted schema %s, want %s", b.Schema(), op.Schema())
		}
		if spec.Kind == Hop && b.NumRows() > max(operators.BatchSize, spec.Size/spec.Slide) {
			t.Errorf("emitted %d rows, more than BatchSize", b.NumRows())
		}
		for i := 0; i < int(b.NumRows()); i++ {
			out = append(out, render(b, i))
		}
		return nil
	}
	for _, evs := range batches {
		b := mkBatch(mem, evs)
		err := op.ProcessBatch(ctx, 0, b, emit)
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := op.EndOfInput(ctx, 0, emit); err != nil {
		t.Fatal(err)
	}
	return out, late, op
}

func TestAssign(t *testing.T) {
	mem := optest.CheckedMem(t)
	rows := []ev{e(7, "a", 1), {t: 0, k: "x", v: 2, nullT: true}, e(-3, "b", -1), e(10, "c", 3)}
	for _, tc := range []struct {
		name string
		spec AssignSpec
		want []string
	}{
		{"tumble", assignSpec(Tumble, 0, 10), []string{
			"7 a 1 true 0 0 10", "-3 b NULL true 0 -10 0", "10 c 3 true 0 10 20"}},
		{"hop", assignSpec(Hop, 5, 15), []string{
			"7 a 1 true 0 -5 10", "7 a 1 true 0 0 15", "7 a 1 true 0 5 20",
			"-3 b NULL true 0 -15 0", "-3 b NULL true 0 -10 5", "-3 b NULL true 0 -5 10",
			"10 c 3 true 0 0 15", "10 c 3 true 0 5 20", "10 c 3 true 0 10 25"}},
		{"hop slide = size", assignSpec(Hop, 10, 10), []string{
			"7 a 1 true 0 0 10", "-3 b NULL true 0 -10 0", "10 c 3 true 0 10 20"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, late, op := runAssign(t, mem, tc.spec, rows, nil, rows[1:2])
			if !reflect.DeepEqual(out, tc.want) {
				t.Errorf("output:\n%s\nwant:\n%s", strings.Join(out, "\n"), strings.Join(tc.want, "\n"))
			}
			if want := []string{"NULL late event: NULL event time", "NULL late event: NULL event time"}; !reflect.DeepEqual(late, want) {
				t.Errorf("late %q, want %q", late, want)
			}
			if op.LateRows() != 2 || op.StateBytes() != 0 {
				t.Errorf("LateRows %d, StateBytes %d: want 2, 0", op.LateRows(), op.StateBytes())
			}
		})
	}
}

func TestAssignSchema(t *testing.T) {
	op, err := NewAssign(assignSpec(Hop, 5, 10))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range op.Schema().Fields() {
		names = append(names, f.Name+":"+f.Type.String())
	}
	want := "ts:timestamp[us, tz=UTC] k:utf8 v:int64 ok:bool n:int64 window_start:timestamp[us, tz=UTC] window_end:timestamp[us, tz=UTC]"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("schema %s, want %s", got, want)
	}
	if testSchema.NumFields() != 5 {
		t.Errorf("NewAssign changed its input schema")
	}
}

// TestAssignHopProperty: every row appears once per window holding it, in
// start order, with bounds that hold it, across batches larger than
// BatchSize once multiplied.
func TestAssignHopProperty(t *testing.T) {
	mem := optest.CheckedMem(t)
	rng := rand.New(rand.NewSource(1))
	for _, sh := range [][2]int64{{1, 1}, {3, 12}, {10, 60}, {7, 7000}, {1, 9000}} {
		slide, size := sh[0], sh[1]
		var batches [][]ev
		var all []ev
		per := int(size / slide)
		for b := 0; b < 3; b++ {
			evs := make([]ev, 1+rng.Intn(min(3000, 30000/per)))
			for i := range evs {
				evs[i] = ev{t: rng.Int63n(100000) - 50000, k: "k", v: int64(i), ok: true, n: int64(len(all))}
				all = append(all, evs[i])
			}
			batches = append(batches, evs)
		}
		out, _, _ := runAssign(t, mem, assignSpec(Hop, slide, size), batches...)
		if len(out) != len(all)*per {
			t.Fatalf("slide %d size %d: %d rows for %d inputs, want %d each", slide, size, len(out), len(all), per)
		}
		for i, x := range all {
			prev := int64(0)
			for j := 0; j < per; j++ {
				f := strings.Fields(out[i*per+j])
				var ts, n, ws, we int64
				mustScan(t, f[0], &ts)
				mustScan(t, f[4], &n)
				mustScan(t, f[5], &ws)
				mustScan(t, f[6], &we)
				if ts != x.t || n != x.n || we-ws != size || floorTo(ws, slide) != ws || ws > ts || ts >= we || (j > 0 && ws != prev+slide) {
					t.Fatalf("slide %d size %d: row %q for input t=%d n=%d (window %d of %d)", slide, size, out[i*per+j], x.t, x.n, j, per)
				}
				prev = ws
			}
		}
	}
}

func mustScan(t *testing.T, s string, v *int64) {
	t.Helper()
	if _, err := fmt.Sscan(s, v); err != nil {
		t.Fatalf("parsing %q: %v", s, err)
	}
}

func TestNewAssignErrors(t *testing.T) {
	mod := func(f func(*AssignSpec)) AssignSpec {
		s := assignSpec(Hop, 5, 10)
		f(&s)
		return s
	}
	for name, tc := range map[string]struct {
		spec AssignSpec
		want string
	}{
		"no schema":   {mod(func(s *AssignSpec) { s.Input = nil }), "no input schema"},
		"tumble size": {mod(func(s *AssignSpec) { s.Kind, s.Size = Tumble, 0 }), "tumble size 0"},
		"hop slide":   {mod(func(s *AssignSpec) { s.Slide = 0 }), "must be positive"},
		"hop size":    {mod(func(s *AssignSpec) { s.Size = 7 }), "not a multiple"},
		"hop windows": {mod(func(s *AssignSpec) { s.Slide, s.Size = 1, 1<<17 }), "windows per row"},
		"session":     {mod(func(s *AssignSpec) { s.Kind = Session }), "only tumble and hop"},
		"time column": {mod(func(s *AssignSpec) { s.TimeCol = 5 }), "time column 5 out of range"},
		"time type":   {mod(func(s *AssignSpec) { s.TimeCol = colN }), "want TIMESTAMP"},
	} {
		if _, err := NewAssign(tc.spec); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "creating window assignment: ") {
			t.Errorf("%s: NewAssign: %v, want error containing %q", name, err, tc.want)
		}
	}
}

func TestAssignErrorsAndLifecycle(t *testing.T) {
	mem := optest.CheckedMem(t)
	ctx := context.Background()
	done := func(b arrow.RecordBatch) error { b.Release(); return operators.ErrDone }
	b := mkBatch(mem, []ev{e(1, "a", 1), e(2, "b", 2)})
	defer b.Release()
	nb := mkBatch(mem, []ev{e(1, "a", 1), {nullT: true}})
	defer nb.Release()

	t.Run("emit error returned unchanged", func(t *testing.T) {
		for _, s := range []AssignSpec{assignSpec(Tumble, 0, 10), assignSpec(Hop, 5, 10)} {
			op, _ := NewAssign(s)
			op.Open(ctx, mem)
			if err := op.ProcessBatch(ctx, 0, b, done); err != operators.ErrDone {
				t.Errorf("%s: ProcessBatch: %v, want ErrDone", s.Kind, err)
			}
			op.Close()
		}
	})

	t.Run("late sink error", func(t *testing.T) {
		op, _ := NewAssign(assignSpec(Tumble, 0, 10))
		boom := errors.New("boom")
		op.RouteLate(func(b arrow.RecordBatch, _ string) error { b.Release(); return boom })
		op.Open(ctx, mem)
		defer op.Close()
		if err := op.ProcessBatch(ctx, 0, nb, done); !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "dead-lettering rows without event time: ") {
			t.Errorf("ProcessBatch: %v, want dead-lettering error wrapping boom", err)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		op, _ := NewAssign(assignSpec(Hop, 5, 10))
		op.Open(ctx, mem)
		defer op.Close()
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := op.ProcessBatch(cctx, 0, b, done); !errors.Is(err, context.Canceled) {
			t.Errorf("ProcessBatch: %v, want context.Canceled", err)
		}
	})

	t.Run("untakeable column", func(t *testing.T) {
		s := arrow.NewSchema([]arrow.Field{testSchema.Field(colTS), {Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)}}, nil)
		ts := array.NewTimestampBuilder(mem, testSchema.Field(colTS).Type.(*arrow.TimestampType))
		ts.AppendValues([]arrow.Timestamp{1}, nil)
		lb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int64)
		lb.AppendNull()
		cols := []arrow.Array{ts.NewArray(), lb.NewArray()}
		ts.Release()
		lb.Release()
		rec := array.NewRecordBatch(s, cols, 1)
		operators.ReleaseAll(cols)
		defer rec.Release()
		op, err := NewAssign(AssignSpec{Kind: Hop, Slide: 5, Size: 10, Input: s})
		if err != nil {
			t.Fatal(err)
		}
		op.Open(ctx, mem)
		defer op.Close()
		if err := op.ProcessBatch(ctx, 0, rec, done); err == nil || !strings.HasPrefix(err.Error(), "assigning windows: ") {
			t.Errorf("ProcessBatch: %v, want an assigning error", err)
		}
	})

	t.Run("misuse", func(t *testing.T) {
		op, _ := NewAssign(assignSpec(Tumble, 0, 10))
		if err := op.ProcessBatch(ctx, 0, b, done); err == nil {
			t.Error("ProcessBatch before Open succeeded")
		}
		op.Open(ctx, mem)
		defer op.Close()
		if err := op.Open(ctx, mem); err == nil {
			t.Error("second Open succeeded")
		}
		if err := op.ProcessBatch(ctx, 1, b, done); err == nil {
			t.Error("ProcessBatch of input 1 succeeded")
		}
		short := b.NewSlice(0, 0)
		defer short.Release()
		if err := op.ProcessBatch(ctx, 0, short, done); err != nil {
			t.Errorf("empty batch: %v", err)
		}
		if err := op.EndOfInput(ctx, 1, done); err == nil {
			t.Error("EndOfInput of input 1 succeeded")
		}
		if err := op.EndOfInput(ctx, 0, done); err != nil {
			t.Fatal(err)
		}
		if err := op.ProcessBatch(ctx, 0, b, done); err == nil {
			t.Error("ProcessBatch after EndOfInput succeeded")
		}
		if err := op.EndOfInput(ctx, 0, done); err == nil {
			t.Error("second EndOfInput succeeded")
		}
		other := arrow.NewSchema(testSchema.Fields()[:2], nil)
		wide, _ := NewAssign(AssignSpec{Kind: Tumble, Size: 10, Input: other})
		wide.Open(ctx, mem)
		defer wide.Close()
		if err := wide.ProcessBatch(ctx, 0, b, done); err == nil || !strings.Contains(err.Error(), "got 5 columns") {
			t.Errorf("batch of another schema: %v", err)
		}
	})
}
