package timejoin

// Test helpers: schemas and batches built from rows of Go values, a
// harness that drives a join through a script of batches, watermarks,
// ends and snapshot/restarts, and renders what it emits.

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/internal/optest"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/planner/types"
)

var tsType = types.TimestampType.ArrowType()

func field(name string, dt arrow.DataType) arrow.Field {
	return arrow.Field{Name: name, Type: dt, Nullable: true}
}

// intervalSchema is (id BIGINT, ts TIMESTAMP, k <key>) with names
// prefixed by p.
func intervalSchema(p string, key arrow.DataType) *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{field(p+"id", arrow.PrimitiveTypes.Int64), field(p+"ts", tsType), field(p+"k", key)}, nil)
}

// windowSchema is (id BIGINT, ws TIMESTAMP, we TIMESTAMP, k VARCHAR).
func windowSchema(p string) *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{field(p+"id", arrow.PrimitiveTypes.Int64), field(p+"ws", tsType),
		field(p+"we", tsType), field(p+"k", arrow.BinaryTypes.String)}, nil)
}

func intervalSpec(lower, upper int64, outer bool) IntervalSpec {
	return IntervalSpec{
		Left: intervalSchema("l", arrow.BinaryTypes.String), Right: intervalSchema("r", arrow.BinaryTypes.String),
		LeftKeys: []int{2}, RightKeys: []int{2}, LeftTime: 1, RightTime: 1,
		Lower: lower, Upper: upper, LeftOuter: outer,
	}
}

func windowSpec(t JoinType) WindowJoinSpec {
	return WindowJoinSpec{
		Left: windowSchema("l"), Right: windowSchema("r"), LeftKeys: []int{3}, RightKeys: []int{3},
		LeftStart: 1, LeftEnd: 2, RightStart: 1, RightEnd: 2, Type: t,
	}
}

// render formats row i of b, its columns separated by spaces and the two
// sides (after nleft columns) by " | ".
func render(b arrow.RecordBatch, i, nleft int) string {
	var sb strings.Builder
	for c := range int(b.NumCols()) {
		switch {
		case c == nleft && c > 0:
			sb.WriteString(" | ")
		case c > 0:
			sb.WriteByte(' ')
		}
		switch a := b.Column(c).(type) {
		case *array.Null:
			sb.WriteString("NULL")
		case *array.Date32:
			if a.IsNull(i) {
				sb.WriteString("NULL")
			} else {
				fmt.Fprint(&sb, int64(a.Value(i)))
			}
		default:
			sb.WriteString(optest.Cell(a, i))
		}
	}
	return sb.String()
}

// joinOp is what both joins implement.
type joinOp interface {
	operators.Operator
	operators.Watermarked
	operators.Stateful
	operators.LateRouter
	operators.StateReporter
}

// Script steps: lrows/rrows are batches of the left/right input, wm a
// watermark, endL/endR the end of an input, snap a snapshot and restore
// into a new operator.
type (
	lrows [][]any
	rrows [][]any
	wm    int64
	endL  struct{}
	endR  struct{}
	snap  struct{}
)

// harness drives a join through a script and records what it emits.
type harness struct {
	t     testing.TB
	mem   memory.Allocator
	mk    func() (joinOp, error)
	op    joinOp
	nleft int
	step  int      // index of the step being run
	out   []string // rendered output rows and "@wm N" / "@end" markers
	steps []int    // step index of each out entry
	late  []string // "<side> <first column>: <reason up to the first ':'>"
}

func newHarness(t testing.TB, mem memory.Allocator, mk func() (joinOp, error)) *harness {
	h := &harness{t: t, mem: mem, mk: mk}
	h.op = h.open()
	return h
}

func intervalHarness(t testing.TB, mem memory.Allocator, spec IntervalSpec) *harness {
	h := newHarness(t, mem, func() (joinOp, error) { return NewIntervalJoin(spec) })
	h.nleft = spec.Left.NumFields()
	return h
}

func windowHarness(t testing.TB, mem memory.Allocator, spec WindowJoinSpec) *harness {
	h := newHarness(t, mem, func() (joinOp, error) { return NewWindowJoin(spec) })
	h.nleft = spec.Left.NumFields()
	return h
}

func (h *harness) open() joinOp {
	h.t.Helper()
	op, err := h.mk()
	if err != nil {
		h.t.Fatalf("creating join: %v", err)
	}
	op.RouteLate(func(b arrow.RecordBatch, reason string) error {
		defer b.Release()
		side := "L"
		if b.Schema().Field(0).Name[0] == 'r' {
			side = "R"
		}
		for i := range int(b.NumRows()) {
			h.late = append(h.late, fmt.Sprintf("%s %s: %s", side, b.Column(0).ValueStr(i), strings.SplitN(reason, ":", 2)[0]))
		}
		return nil
	})
	if err := op.Open(context.Background(), h.mem); err != nil {
		h.t.Fatalf("Open: %v", err)
	}
	return op
}

func (h *harness) emit(b arrow.RecordBatch) error {
	defer b.Release()
	optest.CheckEmitted(h.t, b, h.op.Schema(), operators.BatchSize)
	for i := range int(b.NumRows()) {
		h.record(render(b, i, h.nleft))
	}
	return nil
}

func (h *harness) record(s string) {
	h.out = append(h.out, s)
	h.steps = append(h.steps, h.step)
}

// run plays steps and returns the output.
func (h *harness) run(steps ...any) []string {
	h.t.Helper()
	ctx := context.Background()
	for _, s := range steps {
		var err error
		switch s := s.(type) {
		case lrows:
			err = h.feed(0, s)
		case rrows:
			err = h.feed(1, s)
		case wm:
			err = h.op.OnWatermark(ctx, int64(s), h.emit)
			h.record(fmt.Sprintf("@wm %d", s))
		case endL:
			err = h.op.EndOfInput(ctx, 0, h.emit)
		case endR:
			err = h.op.EndOfInput(ctx, 1, h.emit)
			h.record("@end")
		case snap:
			h.restart()
		default:
			h.t.Fatalf("unknown step %T", s)
		}
		if err != nil {
			h.t.Fatalf("step %d (%T): %v", h.step, s, err)
		}
		h.step++
	}
	return h.out
}

func (h *harness) feed(input int, rows [][]any) error {
	s := h.op.(interface{ inputs() [2]*arrow.Schema }).inputs()[input]
	b := optest.Batch(h.t, h.mem, s, rows)
	defer b.Release()
	return h.op.ProcessBatch(context.Background(), input, b, h.emit)
}

func (c *core) inputs() [2]*arrow.Schema { return c.in }

// restart snapshots the operator, closes it and restores a new one.
func (h *harness) restart() {
	h.t.Helper()
	h.op = optest.Restart(h.t, h.op, h.open)
}

func (h *harness) close() {
	if err := h.op.Close(); err != nil {
		h.t.Errorf("Close: %v", err)
	}
}

// checkOut compares output with want, line by line.
func checkOut(t testing.TB, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("output:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
