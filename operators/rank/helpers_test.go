package rank

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

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

// mkBatch builds a batch of schema s from rows of Go values: nil is NULL,
// integer-like columns take an int, floats a float64, strings a string,
// booleans a bool.
func mkBatch(t testing.TB, mem memory.Allocator, s *arrow.Schema, rows [][]any) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(mem, s)
	defer b.Release()
	for _, row := range rows {
		if len(row) != s.NumFields() {
			t.Fatalf("row %v has %d values, want %d", row, len(row), s.NumFields())
		}
		for c, v := range row {
			fb := b.Field(c)
			if v == nil {
				fb.AppendNull()
				continue
			}
			switch fb := fb.(type) {
			case *array.Int64Builder:
				fb.Append(int64(v.(int)))
			case *array.Int32Builder:
				fb.Append(int32(v.(int)))
			case *array.TimestampBuilder:
				fb.Append(arrow.Timestamp(v.(int)))
			case *array.Date32Builder:
				fb.Append(arrow.Date32(v.(int)))
			case *array.Float64Builder:
				fb.Append(v.(float64))
			case *array.StringBuilder:
				fb.Append(v.(string))
			case *array.BooleanBuilder:
				fb.Append(v.(bool))
			default:
				t.Fatalf("mkBatch: unsupported builder %T", fb)
			}
		}
	}
	return b.NewRecordBatch()
}

// render formats row i of b as space-separated values; an _op column
// reads "+" or "-".
func render(b arrow.RecordBatch, i int) string {
	parts := make([]string, b.NumCols())
	for c := range parts {
		a := b.Column(c)
		switch {
		case a.IsNull(i):
			parts[c] = "NULL"
		case b.Schema().Field(c).Name == operators.OpColumn:
			parts[c] = map[string]string{operators.OpInsert: "+", operators.OpDelete: "-"}[a.ValueStr(i)]
		default:
			parts[c] = a.ValueStr(i)
			if ts, ok := a.(*array.Timestamp); ok {
				parts[c] = fmt.Sprint(int64(ts.Value(i)))
			}
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
	if !b.Schema().Equal(h.op.Schema()) {
		h.t.Errorf("emitted schema %s, want %s", b.Schema(), h.op.Schema())
	}
	if b.NumRows() > operators.BatchSize {
		h.t.Errorf("emitted %d rows, more than BatchSize", b.NumRows())
	}
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
			b := mkBatch(h.t, h.mem, h.schema, s)
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
	var buf strings.Builder
	if err := h.op.Snapshot(context.Background(), &buf); err != nil {
		h.t.Fatalf("Snapshot: %v", err)
	}
	if err := h.op.Close(); err != nil {
		h.t.Fatalf("Close: %v", err)
	}
	h.op = h.open()
	if err := h.op.Restore(context.Background(), strings.NewReader(buf.String())); err != nil {
		h.t.Fatalf("Restore: %v", err)
	}
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
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	h := newHarness(t, mem, schema, mk)
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
