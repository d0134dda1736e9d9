package window

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/internal/optest"
	"github.com/streamsql/streamsql/operators"
)

func TestNewAggregateErrors(t *testing.T) {
	mod := func(f func(*Spec)) Spec {
		s := tumble(10, true)
		f(&s)
		return s
	}
	for name, tc := range map[string]struct {
		spec Spec
		want string
	}{
		"no schema":        {mod(func(s *Spec) { s.Input = nil }), "no input schema"},
		"tumble size":      {mod(func(s *Spec) { s.Size = 0 }), "tumble size 0"},
		"hop multiple":     {mod(func(s *Spec) { s.Kind, s.Slide, s.Size = Hop, 3, 10 }), "not a multiple"},
		"hop slide":        {mod(func(s *Spec) { s.Kind, s.Slide = Hop, 0 }), "must be positive"},
		"session gap":      {mod(func(s *Spec) { s.Kind = Session }), "session gap 0"},
		"kind":             {mod(func(s *Spec) { s.Kind = 7 }), "unknown window kind"},
		"emit":             {mod(func(s *Spec) { s.Emit = 9 }), "unknown emit mode"},
		"lateness":         {mod(func(s *Spec) { s.AllowedLateness = -1 }), "must not be negative"},
		"time column":      {mod(func(s *Spec) { s.TimeCol = 9 }), "time column 9 out of range"},
		"time type":        {mod(func(s *Spec) { s.TimeCol = colV }), "want TIMESTAMP"},
		"group names":      {mod(func(s *Spec) { s.GroupNames = nil }), "1 group names"[1:]},
		"group column":     {mod(func(s *Spec) { s.GroupCols = []int{-1} }), "group column -1"},
		"agg arg":          {mod(func(s *Spec) { s.Aggs[1].Args = []int{42} }), "argument column 42"},
		"agg func":         {mod(func(s *Spec) { s.Aggs[1].Func = "median" }), "unknown aggregate function"},
		"agg type":         {mod(func(s *Spec) { s.Aggs[1].Args = []int{colK} }), "does not accept"},
		"filter column":    {mod(func(s *Spec) { s.Aggs[0].Filter = 17 }), "filter column 17"},
		"filter not bool":  {mod(func(s *Spec) { s.Aggs[0].Filter = colV }), "want BOOLEAN"},
		"distinct 2 args?": {mod(func(s *Spec) { s.Aggs[0].Distinct = true }), "need exactly one argument"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewAggregate(tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "creating window aggregate: ") {
				t.Errorf("NewAggregate: %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestSchema(t *testing.T) {
	s := withEmit(tumble(10, true), Changes)
	op, err := NewAggregate(s)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range op.Schema().Fields() {
		names = append(names, f.Name+":"+f.Type.String())
	}
	want := "window_start:timestamp[us, tz=UTC] window_end:timestamp[us, tz=UTC] k:utf8 cnt:int64 sum:int64 _op:utf8"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("schema %s, want %s", got, want)
	}
}

func TestMultipleGroupColumns(t *testing.T) {
	s := tumble(10, true)
	s.GroupCols, s.GroupNames = []int{colK, colN}, []string{"k", "n"}
	runCases(t, []scriptCase{{
		name: "string and bigint keys",
		spec: s,
		steps: []any{
			[]ev{{t: 1, k: "a", v: 1, n: 1}, {t: 2, k: "a", v: 2, n: 2}, {t: 3, k: "b", v: 4, n: 1}, {t: 4, k: "a", v: 8, n: 1}},
			[]ev{{t: 11, k: "a", v: 1, n: 1}, {t: 5, k: "b", v: 16, n: 1}},
			end{},
		},
		want: []string{"0 10 a 1 2 9", "0 10 a 2 1 2", "0 10 b 1 2 20", "10 20 a 1 1 1", "@end"},
	}})
}

func TestErrorsAndLifecycle(t *testing.T) {
	mem := optest.CheckedMem(t)
	ctx := context.Background()
	done := func(arrow.RecordBatch) error { return operators.ErrDone }

	t.Run("emit error returned unchanged", func(t *testing.T) {
		for _, s := range []Spec{tumble(10, true), hop(5, 10, true), sessionSpec(5, true)} {
			op, _ := NewAggregate(s)
			if err := op.Open(ctx, mem); err != nil {
				t.Fatal(err)
			}
			b := mkBatch(mem, []ev{e(1, "a", 1), e(2, "b", 1)})
			if err := op.ProcessBatch(ctx, 0, b, done); err != nil {
				t.Fatal(err)
			}
			b.Release()
			emit := func(r arrow.RecordBatch) error { r.Release(); return operators.ErrDone }
			if err := op.EndOfInput(ctx, 0, emit); err != operators.ErrDone {
				t.Errorf("%s: EndOfInput: %v, want ErrDone", s.Kind, err)
			}
			op.Close()
		}
		op, _ := NewAggregate(withEmit(tumble(10, true), Changes))
		op.Open(ctx, mem)
		b := mkBatch(mem, []ev{e(1, "a", 1)})
		emit := func(r arrow.RecordBatch) error { r.Release(); return operators.ErrDone }
		if err := op.ProcessBatch(ctx, 0, b, emit); err != operators.ErrDone {
			t.Errorf("changes ProcessBatch: %v, want ErrDone", err)
		}
		b.Release()
		op.Close()
	})

	t.Run("late sink error", func(t *testing.T) {
		s := tumble(10, true)
		boom := errors.New("boom")
		s.LateSink = func(b arrow.RecordBatch, _ string) error { b.Release(); return boom }
		op, _ := NewAggregate(s)
		op.Open(ctx, mem)
		defer op.Close()
		if err := op.OnWatermark(ctx, 100, done); err != nil {
			t.Fatal(err)
		}
		b := mkBatch(mem, []ev{e(1, "a", 1)})
		defer b.Release()
		err := op.ProcessBatch(ctx, 0, b, done)
		if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "dead-lettering late rows: ") {
			t.Errorf("ProcessBatch: %v, want dead-lettering error wrapping boom", err)
		}
		if st := op.Stats(); st.LateRows != 1 {
			t.Errorf("LateRows %d, want 1", st.LateRows)
		}
	})

	t.Run("misuse", func(t *testing.T) {
		op, _ := NewAggregate(tumble(10, true))
		b := mkBatch(mem, []ev{e(1, "a", 1)})
		defer b.Release()
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
		if err := op.ProcessBatch(ctx, 0, b, done); err != nil {
			t.Fatal(err)
		}
		if err := op.EndOfInput(ctx, 0, func(r arrow.RecordBatch) error { r.Release(); return nil }); err != nil {
			t.Fatal(err)
		}
		if err := op.ProcessBatch(ctx, 0, b, done); err == nil {
			t.Error("ProcessBatch after EndOfInput succeeded")
		}
		if err := op.EndOfInput(ctx, 0, done); err == nil {
			t.Error("second EndOfInput succeeded")
		}
		if err := op.Restore(ctx, strings.NewReader("")); err == nil || !strings.Contains(err.Error(), "already has state") {
			t.Errorf("Restore after data: %v", err)
		}
	})
}

func TestStats(t *testing.T) {
	mem := optest.CheckedMem(t)
	for _, tc := range []struct {
		spec            Spec
		windows, groups int
	}{
		{tumble(10, true), 2, 3},
		{hop(5, 10, true), 4, 3},                    // panes 0 (a, b), 10 (a); windows -5, 0, 5, 10
		{withEmit(hop(5, 10, true), Changes), 4, 6}, // windows -5 (a,b), 0 (a,b), 5 (a), 10 (a)
		{sessionSpec(5, true), 3, 3},
	} {
		h := newHarness(t, mem, tc.spec)
		h.run([]ev{e(1, "a", 1), e(2, "b", 1), e(12, "a", 1)})
		st := h.op.Stats()
		if st.OpenWindows != tc.windows || st.OpenGroups != tc.groups || st.StateBytes <= 0 {
			t.Errorf("%s/%s: stats %+v, want %d windows, %d groups", tc.spec.Kind, tc.spec.Emit, st, tc.windows, tc.groups)
		}
		h.close()
	}
}

func TestNoAggregates(t *testing.T) {
	noAggs := func(s Spec) Spec { s.Aggs = nil; return s }
	steps := []any{[]ev{e(1, "a", 1), e(12, "b", 2), e(3, "b", 3)}, end{}}
	runCases(t, []scriptCase{
		{name: "keyed", spec: noAggs(tumble(10, true)), steps: steps, want: []string{"0 10 a", "0 10 b", "10 20 b", "@end"}},
		{name: "unkeyed", spec: noAggs(tumble(10, false)), steps: steps, want: []string{"0 10", "10 20", "@end"}},
		{name: "session", spec: noAggs(sessionSpec(5, false)), steps: steps, want: []string{"1 8", "12 17", "@end"}},
		{name: "hop changes", spec: withEmit(noAggs(hop(5, 10, false)), Changes), steps: steps,
			want: []string{"-5 5 +", "0 10 +", "5 15 +", "10 20 +", "@end"}},
	})
}
