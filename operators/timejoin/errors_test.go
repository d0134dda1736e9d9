package timejoin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/internal/optest"
	"github.com/streamsql/streamsql/operators"
)

func TestNewIntervalJoinErrors(t *testing.T) {
	mod := func(f func(*IntervalSpec)) IntervalSpec {
		s := intervalSpec(-5, 5, true)
		f(&s)
		return s
	}
	u8 := arrow.NewSchema([]arrow.Field{field("id", arrow.PrimitiveTypes.Uint8), field("ts", tsType), field("k", arrow.BinaryTypes.String)}, nil)
	nullKey := arrow.NewSchema([]arrow.Field{field("id", arrow.PrimitiveTypes.Int64), field("ts", tsType), field("k", arrow.Null)}, nil)
	for name, tc := range map[string]struct {
		spec IntervalSpec
		want string
	}{
		"no left":        {mod(func(s *IntervalSpec) { s.Left = nil }), "missing input schema"},
		"no right":       {mod(func(s *IntervalSpec) { s.Right = nil }), "missing input schema"},
		"names":          {mod(func(s *IntervalSpec) { s.Names = []string{"a"} }), "1 output names for 6 columns"},
		"column type":    {mod(func(s *IntervalSpec) { s.Right = u8 }), "right column 0 (id) has unsupported type uint8"},
		"key count":      {mod(func(s *IntervalSpec) { s.RightKeys = nil }), "1 left keys and 0 right keys"},
		"left key":       {mod(func(s *IntervalSpec) { s.LeftKeys = []int{3} }), "left key column 3 out of range"},
		"right key":      {mod(func(s *IntervalSpec) { s.RightKeys = []int{-1} }), "right key column -1 out of range"},
		"key types":      {mod(func(s *IntervalSpec) { s.RightKeys = []int{0} }), "key 0: left type utf8 differs from right type int64"},
		"key type":       {mod(func(s *IntervalSpec) { s.Left, s.Right = nullKey, nullKey }), "unsupported key type null"},
		"left time":      {mod(func(s *IntervalSpec) { s.LeftTime = 7 }), "left time column 7 out of range"},
		"right time":     {mod(func(s *IntervalSpec) { s.RightTime = 0 }), "right time column 0 is int64, want TIMESTAMP"},
		"bounds order":   {mod(func(s *IntervalSpec) { s.Lower = 6 }), "lower bound 6 µs exceeds upper bound 5 µs"},
		"bounds range":   {mod(func(s *IntervalSpec) { s.Upper = 1<<63 - 1 }), "out of range"},
		"bounds range 2": {mod(func(s *IntervalSpec) { s.Lower = -1 << 63 }), "out of range"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewIntervalJoin(tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "creating interval join: ") {
				t.Errorf("NewIntervalJoin: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestNewWindowJoinErrors(t *testing.T) {
	mod := func(f func(*WindowJoinSpec)) WindowJoinSpec {
		s := windowSpec(FullOuter)
		f(&s)
		return s
	}
	for name, tc := range map[string]struct {
		spec WindowJoinSpec
		want string
	}{
		"type":         {mod(func(s *WindowJoinSpec) { s.Type = 4 }), "unknown join type 4"},
		"no schema":    {mod(func(s *WindowJoinSpec) { s.Left = nil }), "missing input schema"},
		"keys":         {mod(func(s *WindowJoinSpec) { s.LeftKeys = []int{0, 3} }), "2 left keys and 1 right keys"},
		"left start":   {mod(func(s *WindowJoinSpec) { s.LeftStart = 0 }), "left window start column 0 is int64"},
		"left end":     {mod(func(s *WindowJoinSpec) { s.LeftEnd = 3 }), "left window end column 3 is utf8"},
		"right start":  {mod(func(s *WindowJoinSpec) { s.RightStart = 4 }), "right window start column 4 out of range"},
		"right end":    {mod(func(s *WindowJoinSpec) { s.RightEnd = -1 }), "right window end column -1 out of range"},
		"output names": {mod(func(s *WindowJoinSpec) { s.Names = []string{} }), "0 output names for 8 columns"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewWindowJoin(tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "creating window join: ") {
				t.Errorf("NewWindowJoin: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if s := JoinType(9).String(); s != "JoinType(9)" {
		t.Errorf("JoinType(9).String() = %q", s)
	}
}

// TestLifecycleErrors checks calls out of order, for both joins.
func TestLifecycleErrors(t *testing.T) {
	ctx := context.Background()
	for _, mk := range []func() (joinOp, error){mkInterval(intervalSpec(0, 0, false)), mkWindow(windowSpec(Inner))} {
		mem := optest.CheckedMem(t)
		op, err := mk()
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("%T", op)
		ls := op.(interface{ inputs() [2]*arrow.Schema }).inputs()
		b := optest.Batch(t, mem, ls[0], nil)
		defer b.Release()
		wrong := optest.Batch(t, mem, arrow.NewSchema(ls[1].Fields()[:2], nil), nil)
		defer wrong.Release()
		nop := func(b arrow.RecordBatch) error { b.Release(); return nil }
		check := func(what string, err error, want string) {
			t.Helper()
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %s: %v, want an error containing %q", name, what, err, want)
			}
		}
		check("batch before Open", op.ProcessBatch(ctx, 0, b, nop), "not open")
		check("end before Open", op.EndOfInput(ctx, 0, nop), "not open")
		check("watermark before Open", op.OnWatermark(ctx, 1, nop), "not open")
		if n := op.StateBytes(); n != 0 {
			t.Errorf("%s: StateBytes before Open = %d", name, n)
		}
		if err := op.Open(ctx, mem); err != nil {
			t.Fatal(err)
		}
		check("second Open", op.Open(ctx, mem), "already open")
		check("input 2", op.ProcessBatch(ctx, 2, b, nop), "no input 2")
		check("end of input -1", op.EndOfInput(ctx, -1, nop), "no input -1")
		check("batch of another shape", op.ProcessBatch(ctx, 1, wrong, nop), "right input: checking batch")
		if err := op.ProcessBatch(ctx, 0, b, nop); err != nil {
			t.Errorf("%s: empty batch: %v", name, err)
		}
		if err := op.EndOfInput(ctx, 0, nop); err != nil {
			t.Fatal(err)
		}
		check("batch after end", op.ProcessBatch(ctx, 0, b, nop), "left input already ended")
		check("second end", op.EndOfInput(ctx, 0, nop), "left input already ended")
		if err := op.Close(); err != nil {
			t.Fatal(err)
		}
		check("batch after Close", op.ProcessBatch(ctx, 1, b, nop), "not open")
		check("end after Close", op.EndOfInput(ctx, 1, nop), "not open")
		if n := op.StateBytes(); n != 0 {
			t.Errorf("%s: StateBytes after Close = %d", name, n)
		}
		if err := op.Close(); err != nil {
			t.Errorf("%s: second Close: %v", name, err)
		}
	}
}

// failingEmit fails on call n (1-based) with err, releasing the batch.
func failingEmit(n int, err error) operators.Emit {
	calls := 0
	return func(b arrow.RecordBatch) error {
		b.Release()
		calls++
		if calls >= n {
			return err
		}
		return nil
	}
}

func TestEmitErrors(t *testing.T) {
	ctx := context.Background()
	big := func(n, id0 int, window bool) [][]any {
		rows := make([][]any, n)
		for i := range rows {
			if window {
				rows[i] = []any{id0 + i, 0, 10, "a"}
			} else {
				rows[i] = []any{id0 + i, 100, "a"}
			}
		}
		return rows
	}
	for _, tc := range []struct {
		name   string
		mk     func() (joinOp, error)
		window bool
		call   func(op joinOp, rb arrow.RecordBatch, emit operators.Emit) error
		failAt int
	}{
		{"interval probe", mkInterval(intervalSpec(0, 0, true)), false, func(op joinOp, rb arrow.RecordBatch, emit operators.Emit) error {
			return op.ProcessBatch(ctx, 1, rb, emit)
		}, 1},
		{"interval probe final batch", mkInterval(intervalSpec(0, 0, true)), false, func(op joinOp, rb arrow.RecordBatch, emit operators.Emit) error {
			return op.ProcessBatch(ctx, 1, rb, emit)
		}, 2},
		{"interval padding", mkInterval(intervalSpec(0, 0, true)), false, func(op joinOp, _ arrow.RecordBatch, emit operators.Emit) error {
			return op.OnWatermark(ctx, 1000, emit)
		}, 1},
		{"window close", mkWindow(windowSpec(Inner)), true, func(op joinOp, rb arrow.RecordBatch, emit operators.Emit) error {
			if err := op.ProcessBatch(ctx, 1, rb, emit); err != nil {
				return err
			}
			return op.OnWatermark(ctx, 10, emit)
		}, 1},
		{"window last batch", mkWindow(windowSpec(Inner)), true, func(op joinOp, rb arrow.RecordBatch, emit operators.Emit) error {
			if err := op.ProcessBatch(ctx, 1, rb, emit); err != nil {
				return err
			}
			return op.OnWatermark(ctx, 10, emit)
		}, 2},
		{"window padding", mkWindow(windowSpec(LeftOuter)), true, func(op joinOp, _ arrow.RecordBatch, emit operators.Emit) error {
			return op.OnWatermark(ctx, 10, emit)
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := optest.CheckedMem(t)
			op, err := tc.mk()
			if err != nil {
				t.Fatal(err)
			}
			if err := op.Open(ctx, mem); err != nil {
				t.Fatal(err)
			}
			defer op.Close()
			ins := op.(interface{ inputs() [2]*arrow.Schema }).inputs()
			lb := optest.Batch(t, mem, ins[0], big(100, 0, tc.window))
			defer lb.Release()
			rb := optest.Batch(t, mem, ins[1], big(100, 1000, tc.window))
			defer rb.Release()
			if err := op.ProcessBatch(ctx, 0, lb, failingEmit(1, errors.New("unexpected emit"))); err != nil {
				t.Fatal(err)
			}
			// 100 × 100 pairs make two output batches.
			err = tc.call(op, rb, failingEmit(tc.failAt, operators.ErrDone))
			if err != operators.ErrDone {
				t.Errorf("got %v, want ErrDone unchanged", err)
			}
		})
	}
}

func TestEmitErrorsPaddingOnArrival(t *testing.T) {
	// A full batch of rows padded as they arrive: NULL keys, and rows
	// already past their matches.
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		key  any
		wm   int64
	}{{"NULL keys", nil, minWM}, {"expired", "a", 100}} {
		mem := optest.CheckedMem(t)
		op, err := NewIntervalJoin(intervalSpec(5, 10, true))
		if err != nil {
			t.Fatal(err)
		}
		if err := op.Open(ctx, mem); err != nil {
			t.Fatal(err)
		}
		nop := func(b arrow.RecordBatch) error { b.Release(); return nil }
		if tc.wm != minWM {
			if err := op.OnWatermark(ctx, tc.wm, nop); err != nil {
				t.Fatal(err)
			}
		}
		rows := make([][]any, operators.BatchSize+1)
		for i := range rows {
			rows[i] = []any{i, 100, tc.key}
		}
		b := optest.Batch(t, mem, op.in[0], rows)
		if err := op.ProcessBatch(ctx, 0, b, failingEmit(1, operators.ErrDone)); err != operators.ErrDone {
			t.Errorf("%s: got %v, want ErrDone", tc.name, err)
		}
		b.Release()
		op.Close()
	}
}

func TestLateWithoutSink(t *testing.T) {
	mem := optest.CheckedMem(t)
	op, err := NewWindowJoin(windowSpec(Inner))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := op.Open(ctx, mem); err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	nop := func(b arrow.RecordBatch) error { b.Release(); return nil }
	if err := op.OnWatermark(ctx, 10, nop); err != nil {
		t.Fatal(err)
	}
	b := optest.Batch(t, mem, op.in[1], [][]any{{1, 0, 10, "a"}, {2, 10, 20, "a"}})
	defer b.Release()
	if err := op.ProcessBatch(ctx, 1, b, nop); err != nil {
		t.Fatal(err)
	}
	if op.LateRows() != 1 || op.rows[1] != 1 {
		t.Errorf("LateRows %d, %d rows buffered", op.LateRows(), op.rows[1])
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := op.OnWatermark(cctx, 20, nop); err != context.Canceled {
		t.Errorf("OnWatermark with a cancelled context: %v", err)
	}
}

func TestLateSinkError(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("dead letter queue down")
	for _, tc := range []struct {
		mk   func() (joinOp, error)
		rows [][]any
	}{
		{mkInterval(intervalSpec(0, 0, false)), [][]any{{1, 5, "a"}}},
		{mkInterval(intervalSpec(0, 0, false)), [][]any{{1, nil, "a"}}},
		{mkWindow(windowSpec(Inner)), [][]any{{1, 0, 10, "a"}}},
		{mkWindow(windowSpec(Inner)), [][]any{{1, nil, 10, "a"}}},
	} {
		mem := optest.CheckedMem(t)
		op, err := tc.mk()
		if err != nil {
			t.Fatal(err)
		}
		op.RouteLate(func(b arrow.RecordBatch, reason string) error {
			b.Release()
			if !strings.HasPrefix(reason, "late event: ") {
				t.Errorf("reason %q", reason)
			}
			return boom
		})
		if err := op.Open(ctx, mem); err != nil {
			t.Fatal(err)
		}
		nop := func(b arrow.RecordBatch) error { b.Release(); return nil }
		if err := op.OnWatermark(ctx, 50, nop); err != nil {
			t.Fatal(err)
		}
		ins := op.(interface{ inputs() [2]*arrow.Schema }).inputs()
		b := optest.Batch(t, mem, ins[0], tc.rows)
		err = op.ProcessBatch(ctx, 0, b, nop)
		b.Release()
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "dead-lettering late rows") {
			t.Errorf("%T: %v, want the sink's error", op, err)
		}
		if op.LateRows() != 1 {
			t.Errorf("%T: LateRows %d", op, op.LateRows())
		}
		op.Close()
	}
}

func TestWatermarkNotAdvancing(t *testing.T) {
	// A watermark below the last changes nothing: rows stay late against
	// the highest.
	mem := optest.CheckedMem(t)
	ih := intervalHarness(t, mem, intervalSpec(0, 0, true))
	defer ih.close()
	checkOut(t, ih.run(lrows{{1, 100, "a"}}, wm(200), wm(5), lrows{{2, 150, "a"}}),
		[]string{"1 100 a | NULL NULL NULL", "@wm 200", "@wm 5"})
	checkOut(t, ih.late, []string{"L 2: late event"})
	wh := windowHarness(t, mem, windowSpec(FullOuter))
	defer wh.close()
	checkOut(t, wh.run(lrows{{1, 0, 10, "a"}}, wm(20), wm(5), lrows{{2, 10, 20, "a"}}),
		[]string{"1 0 10 a | NULL NULL NULL NULL", "@wm 20", "@wm 5"})
	checkOut(t, wh.late, []string{"L 2: late event"})
}
