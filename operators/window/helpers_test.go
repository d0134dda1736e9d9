package window

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/internal/optest"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/planner/types"
)

// The test input: ts TIMESTAMP, k VARCHAR, v BIGINT, ok BOOLEAN, n BIGINT.
var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: types.TimestampType.ArrowType(), Nullable: true},
	{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

const (
	colTS = iota
	colK
	colV
	colOK
	colN
)

// ev is one input row; a negative v is NULL, nullT makes ts NULL.
type ev struct {
	t     int64
	k     string
	v     int64
	ok    bool
	n     int64
	nullT bool
	nullK bool
}

func e(t int64, k string, v int64) ev { return ev{t: t, k: k, v: v, ok: true} }

func mkBatch(mem memory.Allocator, evs []ev) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, testSchema)
	defer b.Release()
	for _, x := range evs {
		if x.nullT {
			b.Field(colTS).AppendNull()
		} else {
			b.Field(colTS).(*array.TimestampBuilder).Append(arrow.Timestamp(x.t))
		}
		if x.nullK {
			b.Field(colK).AppendNull()
		} else {
			b.Field(colK).(*array.StringBuilder).Append(x.k)
		}
		if x.v < 0 {
			b.Field(colV).AppendNull()
		} else {
			b.Field(colV).(*array.Int64Builder).Append(x.v)
		}
		b.Field(colOK).(*array.BooleanBuilder).Append(x.ok)
		b.Field(colN).(*array.Int64Builder).Append(x.n)
	}
	return b.NewRecordBatch()
}

// Script steps: []ev is a batch, wm a watermark, end the end of input,
// snap a snapshot and restore into a new operator, tick an advance of the
// processing-time clock (µs).
type (
	wm   int64
	end  struct{}
	snap struct{}
	tick int64
)

func baseSpec(kind Kind, keyed bool) Spec {
	s := Spec{Kind: kind, Input: testSchema, TimeCol: colTS, Aggs: []operators.AggSpec{
		{Func: "count", Filter: -1, Name: "cnt"},
		{Func: "sum", Args: []int{colV}, Filter: -1, Name: "sum"},
	}}
	if keyed {
		s.GroupCols, s.GroupNames = []int{colK}, []string{"k"}
	}
	return s
}

// render formats row i of b as space-separated values.
func render(b arrow.RecordBatch, i int) string {
	var parts []string
	for c := 0; c < int(b.NumCols()); c++ {
		parts = append(parts, value(b.Column(c), i))
	}
	return strings.Join(parts, " ")
}

// value formats row i of a; the _op values read "+" and "-".
func value(a arrow.Array, i int) string {
	if s, ok := a.(*array.String); ok && a.IsValid(i) {
		switch s.Value(i) {
		case operators.OpInsert:
			return "+"
		case operators.OpDelete:
			return "-"
		}
	}
	return optest.Cell(a, i)
}

type harness struct {
	t     testing.TB
	mem   memory.Allocator
	spec  Spec
	op    *Aggregate
	out   []string
	late  []string
	clock int64 // processing time in µs, the operator's Spec.Now
}

func newHarness(t testing.TB, mem memory.Allocator, spec Spec) *harness {
	h := &harness{t: t, mem: mem}
	spec.LateSink = func(b arrow.RecordBatch, reason string) error {
		defer b.Release()
		for i := 0; i < int(b.NumRows()); i++ {
			h.late = append(h.late, render(b, i)[:strings.Index(render(b, i), " ")]+" "+reason[:strings.Index(reason, ":")])
		}
		return nil
	}
	spec.Now = func() time.Time { return time.UnixMicro(h.clock) }
	h.spec = spec
	h.op = h.open()
	return h
}

func (h *harness) open() *Aggregate {
	op, err := NewAggregate(h.spec)
	if err != nil {
		h.t.Fatalf("NewAggregate: %v", err)
	}
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

// run plays steps, returning the output with a marker line after each
// watermark ("@wm N") and at the end ("@end").
func (h *harness) run(steps ...any) []string {
	h.t.Helper()
	ctx := context.Background()
	for _, s := range steps {
		switch s := s.(type) {
		case []ev:
			b := mkBatch(h.mem, s)
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
		case tick:
			h.clock += int64(s)
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
