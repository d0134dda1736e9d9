package rank

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/internal/optest"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/planner/types"
)

var tsType = types.TimestampType.ArrowType()

// The dedup test input: ts TIMESTAMP, k VARCHAR, g BIGINT, v BIGINT.
var dedupSchema = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: tsType, Nullable: true},
	{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "g", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

// render formats row i of b as space-separated values; an _op column
// reads "+" or "-".
func render(b arrow.RecordBatch, i int) string {
	parts := make([]string, b.NumCols())
	for c := range parts {
		a := b.Column(c)
		if b.Schema().Field(c).Name == operators.OpColumn && a.IsValid(i) {
			parts[c] = map[string]string{operators.OpInsert: "+", operators.OpDelete: "-"}[a.ValueStr(i)]
		} else {
			parts[c] = optest.Cell(a, i)
		}
	}
	return strings.Join(parts, " ")
}

// stateful is what both operators implement.
type stateful interface {
	operators.Operator
	operators.Watermarked
	operators.Stateful
	operators.LateRouter
	operators.StateReporter
}

// Script steps: rows is a batch, wm a watermark, end the end of input,
// snap a snapshot restored into a new operator.
type (
	rows [][]any
	wm   int64
	end  struct{}
	snap struct{}
)

// harness drives an operator through a script, collecting its output
// (one string per row) and the late rows ("row | reason prefix").
type harness struct {
	t      testing.TB
	mem    memory.Allocator
	schema *arrow.Schema
	make   func() (stateful, error)
	op     stateful
	out    []string
	late   []string
}

func newHarness(t testing.TB, mem memory.Allocator, schema *arrow.Schema, mk func() (stateful, error)) *harness {
	h := &harness{t: t, mem: mem, schema: schema, make: mk}
	h.op = h.open()
	return h
}

func (h *harness) open() stateful {
	h.t.Helper()
	op, err := h.make()
	if err != nil {
		h.t.Fatalf("making operator: %v", err)
	}
	op.RouteLate(func(b arrow.RecordBatch, reason string) error {
		defer b.Release()
		if !b.Schema().Equal(h.schema) {
			h.t.Errorf("late batch schema %s, want %s", b.Schema(), h.schema)
		}
		for i := 0; i < int(b.NumRows()); i++ {
			h.late = append(h.late, render(b, i)+" | "+reason[:strings.IndexAny(reason+" ", ":")])
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
	for i := 0; i < int(b.NumRows()); i++ {
		h.out = append(h.out, render(b, i))
	}
	return nil
}

// run plays steps and returns the output so far, with a marker line after
// each watermark ("@wm N") and at the end ("@end").
func (h *harness) run(steps ...any) []string {
	h.t.Helper()
	ctx := context.Background()
	for _, s := range steps {
		switch s := s.(type) {
		case rows:
			b := optest.Batch(h.t, h.mem, h.schema, s)
			err := h.op.ProcessBatch(ctx, 0, b, h.emit)
			b.Release()
			if err != nil {
				h.t.Fatalf("ProcessBatch: %v", err)
			}
		case wm:
			if err := h.op.OnWatermark(ctx, int64(s), h.emit); err != nil {
				h.t.Fatalf("OnWatermark: %v", err)
			}
			h.out = append(h.out, fmt.Sprintf("@wm %d", s))
		case end:
			if err := h.op.EndOfInput(ctx, 0, h.emit); err != nil {
				h.t.Fatalf("EndOfInput: %v", err)
			}
			h.out = append(h.out, "@end")
		case snap:
			h.restart()
		default:
			h.t.Fatalf("unknown step %T", s)
		}
	}
	return h.out
}

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

// script runs steps on a fresh operator, with a checked allocator, and
// returns the output and late rows.
func script(t *testing.T, schema *arrow.Schema, mk func() (stateful, error), steps ...any) (out, late []string) {
	t.Helper()
	h := newHarness(t, optest.CheckedMem(t), schema, mk)
	defer h.close()
	return h.run(steps...), h.late
}

func dedupOp(spec DedupSpec) func() (stateful, error) {
	return func() (stateful, error) { return NewDedup(spec) }
}

func topnOp(spec TopNSpec) func() (stateful, error) {
	return func() (stateful, error) { return NewTopN(spec) }
}

// withSnaps inserts a snapshot/restore after every step.
func withSnaps(steps []any) []any {
	var out []any
	for _, s := range steps {
		out = append(out, s, snap{})
	}
	return out
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot\n  %s\nwant\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
