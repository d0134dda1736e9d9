package rank

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/internal/optest"
	"github.com/streamsql/streamsql/operators"
)

func TestNewDedupErrors(t *testing.T) {
	listSchema := arrow.NewSchema([]arrow.Field{{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)}}, nil)
	for _, c := range []struct {
		name string
		spec DedupSpec
		want string
	}{
		{"no schema", DedupSpec{TimeCol: -1}, "no input schema"},
		{"bad mode", DedupSpec{Input: dedupSchema, TimeCol: -1, Mode: 7}, "unknown mode"},
		{"key out of range", DedupSpec{Input: dedupSchema, KeyCols: []int{4}, TimeCol: -1}, "out of range"},
		{"key type", DedupSpec{Input: listSchema, KeyCols: []int{0}, TimeCol: -1}, "cannot be a key"},
		{"time type", DedupSpec{Input: dedupSchema, KeyCols: []int{1}, TimeCol: 2}, "want TIMESTAMP"},
		{"time out of range", DedupSpec{Input: dedupSchema, TimeCol: 9}, "out of range"},
		{"earliest without time", DedupSpec{Input: dedupSchema, TimeCol: -1, Mode: Earliest}, "out of range"},
		{"latest without time", DedupSpec{Input: dedupSchema, TimeCol: -1, Mode: Latest}, "out of range"},
		{"negative TTL", DedupSpec{Input: dedupSchema, TimeCol: -1, TTL: -1}, "TTL"},
	} {
		if _, err := NewDedup(c.spec); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	if got := DedupMode(9).String(); got != "DedupMode(9)" {
		t.Errorf("String of a bad mode: %q", got)
	}
}

func TestNewTopNErrors(t *testing.T) {
	listSchema := arrow.NewSchema([]arrow.Field{{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)}}, nil)
	ok := TopNSpec{Input: topnSchema, PartitionCols: []int{1}, CloseCol: 0, N: 1}
	for _, c := range []struct {
		name string
		mod  func(s *TopNSpec)
		want string
	}{
		{"no schema", func(s *TopNSpec) { s.Input = nil }, "no input schema"},
		{"N", func(s *TopNSpec) { s.N = 0 }, "at least 1"},
		{"partition out of range", func(s *TopNSpec) { s.PartitionCols = []int{-2} }, "out of range"},
		{"partition type", func(s *TopNSpec) { s.Input, s.PartitionCols, s.CloseCol = listSchema, []int{0}, -1 }, "cannot be a key"},
		{"close type", func(s *TopNSpec) { s.CloseCol = 2 }, "want TIMESTAMP"},
		{"negative offset", func(s *TopNSpec) { s.CloseOffset = -1 }, "close offset"},
		{"offset without close", func(s *TopNSpec) { s.CloseCol, s.CloseOffset = -1, 5 }, "close offset"},
		{"order out of range", func(s *TopNSpec) { s.Order = []SortKey{{Col: 4}} }, "out of range"},
		{"order type", func(s *TopNSpec) {
			s.Input, s.PartitionCols, s.CloseCol, s.Order = listSchema, nil, -1, []SortKey{{Col: 0}}
		}, "cannot be sorted"},
	} {
		spec := ok
		c.mod(&spec)
		if _, err := NewTopN(spec); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func allOps() map[string]func() (stateful, error) {
	return map[string]func() (stateful, error){
		"first arrival": dedupOp(DedupSpec{Input: dedupSchema, KeyCols: []int{1}, TimeCol: 0, TTL: 5}),
		"earliest":      dedupOp(DedupSpec{Input: dedupSchema, KeyCols: []int{1}, TimeCol: 0, Mode: Earliest}),
		"latest":        dedupOp(DedupSpec{Input: dedupSchema, KeyCols: []int{1}, TimeCol: 0, Mode: Latest}),
		"top-n windowed": topnOp(TopNSpec{Input: dedupSchema, PartitionCols: []int{1}, CloseCol: 0,
			Order: []SortKey{{Col: 3}}, N: 1}),
		"top-n changelog": topnOp(TopNSpec{Input: dedupSchema, PartitionCols: []int{1}, CloseCol: -1,
			Order: []SortKey{{Col: 3}}, N: 1}),
	}
}

func TestLifecycleErrors(t *testing.T) {
	ctx := context.Background()
	nop := func(b arrow.RecordBatch) error { b.Release(); return nil }
	for name, mk := range allOps() {
		t.Run(name, func(t *testing.T) {
			mem := optest.CheckedMem(t)
			b := optest.Batch(t, mem, dedupSchema, rows{{1, "a", 0, 1}})
			defer b.Release()
			op, _ := mk()
			expectErr := func(what string, err error) {
				t.Helper()
				if err == nil {
					t.Errorf("%s: no error", what)
				}
			}
			expectErr("batch before Open", op.ProcessBatch(ctx, 0, b, nop))
			expectErr("watermark before Open", op.OnWatermark(ctx, 1, nop))
			expectErr("end before Open", op.EndOfInput(ctx, 0, nop))
			expectErr("snapshot before Open", op.Snapshot(ctx, &bytes.Buffer{}))
			expectErr("restore before Open", op.Restore(ctx, &bytes.Buffer{}))
			if err := op.Open(ctx, mem); err != nil {
				t.Fatal(err)
			}
			expectErr("second Open", op.Open(ctx, mem))
			expectErr("input 1", op.ProcessBatch(ctx, 1, b, nop))
			expectErr("end of input 1", op.EndOfInput(ctx, 1, nop))
			other := optest.Batch(t, mem, arrow.NewSchema(dedupSchema.Fields()[:2], nil), rows{{1, "a"}})
			expectErr("wrong column count", op.ProcessBatch(ctx, 0, other, nop))
			other.Release()
			if err := op.ProcessBatch(ctx, 0, b, nop); err != nil {
				t.Fatal(err)
			}
			expectErr("restore with state", op.Restore(ctx, &bytes.Buffer{}))
			if err := op.EndOfInput(ctx, 0, nop); err != nil {
				t.Fatal(err)
			}
			expectErr("batch after end", op.ProcessBatch(ctx, 0, b, nop))
			if err := op.Close(); err != nil {
				t.Fatal(err)
			}
			expectErr("watermark after Close", op.OnWatermark(ctx, 10, nop))
			if err := op.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

// TestTimeColumnTypeMismatch feeds a batch whose time column is not a
// TIMESTAMP although the spec's schema says so.
func TestTimeColumnTypeMismatch(t *testing.T) {
	ctx := context.Background()
	mem := optest.CheckedMem(t)
	bad := arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: arrow.PrimitiveTypes.Int64}, dedupSchema.Field(1), dedupSchema.Field(2), dedupSchema.Field(3)}, nil)
	b := optest.Batch(t, mem, bad, rows{{1, "a", 0, 1}})
	defer b.Release()
	for name, mk := range allOps() {
		if name == "top-n changelog" {
			continue // no time column
		}
		op, _ := mk()
		if err := op.Open(ctx, mem); err != nil {
			t.Fatal(err)
		}
		if err := op.ProcessBatch(ctx, 0, b, nil); err == nil || !strings.Contains(err.Error(), "TIMESTAMP") {
			t.Errorf("%s: error %v, want a TIMESTAMP mismatch", name, err)
		}
		op.Close()
	}
}

var errBoom = errors.New("boom")

// TestEmitErrors checks that an error from emit is returned unchanged and
// that nothing leaks after Close.
func TestEmitErrors(t *testing.T) {
	ctx := context.Background()
	fail := func(b arrow.RecordBatch) error { b.Release(); return errBoom }
	for name, mk := range allOps() {
		t.Run(name, func(t *testing.T) {
			mem := optest.CheckedMem(t)
			op, _ := mk()
			if err := op.Open(ctx, mem); err != nil {
				t.Fatal(err)
			}
			defer op.Close()
			b := optest.Batch(t, mem, dedupSchema, rows{{1, "a", 0, 1}, {2, "b", 0, 2}, {3, "a", 0, 3}})
			defer b.Release()
			err := op.ProcessBatch(ctx, 0, b, fail)
			if err == nil {
				err = op.EndOfInput(ctx, 0, fail)
			}
			if !errors.Is(err, errBoom) {
				t.Errorf("error %v, want boom", err)
			}
		})
	}
}

func TestLateSinkError(t *testing.T) {
	ctx := context.Background()
	nop := func(b arrow.RecordBatch) error { b.Release(); return nil }
	for name, mk := range allOps() {
		if name == "top-n changelog" {
			continue // no late rows
		}
		t.Run(name, func(t *testing.T) {
			mem := optest.CheckedMem(t)
			op, _ := mk()
			op.RouteLate(func(b arrow.RecordBatch, _ string) error { b.Release(); return errBoom })
			if err := op.Open(ctx, mem); err != nil {
				t.Fatal(err)
			}
			defer op.Close()
			b := optest.Batch(t, mem, dedupSchema, rows{{nil, "a", 0, 1}})
			defer b.Release()
			if err := op.ProcessBatch(ctx, 0, b, nop); !errors.Is(err, errBoom) {
				t.Errorf("error %v, want boom", err)
			}
			if op.LateRows() != 1 {
				t.Errorf("late rows %d, want 1", op.LateRows())
			}
		})
	}
}

// snapshotOf runs a few rows through op and returns its snapshot.
func snapshotOf(t *testing.T, mem memory.Allocator, mk func() (stateful, error)) []byte {
	t.Helper()
	h := newHarness(t, mem, dedupSchema, mk)
	defer h.close()
	h.run(rows{{5, "a", 0, 1}, {7, "b", 0, 2}, {6, "a", 0, 3}}, wm(2))
	var buf bytes.Buffer
	if err := h.op.Snapshot(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestRestoreCorrupt restores truncated, altered and foreign snapshots:
// each must fail cleanly, leaking nothing.
func TestRestoreCorrupt(t *testing.T) {
	ctx := context.Background()
	ops := allOps()
	for name, mk := range ops {
		t.Run(name, func(t *testing.T) {
			mem := optest.CheckedMem(t)
			snap := snapshotOf(t, mem, mk)
			try := func(data []byte) error {
				op, _ := mk()
				if err := op.Open(ctx, mem); err != nil {
					t.Fatal(err)
				}
				defer op.Close()
				return op.Restore(ctx, bytes.NewReader(data))
			}
			if err := try(snap); err != nil {
				t.Fatalf("restoring the intact snapshot: %v", err)
			}
			for n := 0; n < len(snap); n += max(1, len(snap)/200) {
				if err := try(snap[:n]); err == nil {
					t.Errorf("restoring %d of %d bytes: no error", n, len(snap))
				}
			}
			for i := 0; i < len(snap); i += 3 {
				alt := bytes.Clone(snap)
				alt[i] ^= 0x5a
				if err := try(alt); err == nil {
					t.Errorf("restoring with byte %d altered: no error", i)
				}
			}
			for other, mk2 := range ops {
				if other == name {
					continue
				}
				if err := try(snapshotOf(t, mem, mk2)); err == nil {
					t.Errorf("restoring a %s snapshot: no error", other)
				}
			}
		})
	}
}

// TestOtherColumnTypes keeps rows with column types that have no typed
// gather path (FLOAT, LIST) across batches and snapshots, with a NULL-typed
// key column.
func TestOtherColumnTypes(t *testing.T) {
	s := arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: tsType, Nullable: true},
		{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
		{Name: "i", Type: arrow.FixedWidthTypes.MonthDayNanoInterval, Nullable: true},
		{Name: "n", Type: arrow.Null, Nullable: true},
	}, nil)
	mk := func(mem memory.Allocator, base int, n int) arrow.RecordBatch {
		b := array.NewRecordBuilder(mem, s)
		defer b.Release()
		for i := base; i < base+n; i++ {
			b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(i))
			b.Field(1).(*array.Int64Builder).Append(int64(i % 3))
			b.Field(2).(*array.Float32Builder).Append(float32(i) / 2)
			lb := b.Field(3).(*array.ListBuilder)
			lb.Append(true)
			lb.ValueBuilder().(*array.Int64Builder).AppendValues([]int64{int64(i), int64(i + 1)}, nil)
			b.Field(4).(*array.MonthDayNanoIntervalBuilder).Append(arrow.MonthDayNanoInterval{Days: int32(i)})
			b.Field(5).AppendNull()
		}
		return b.NewRecordBatch()
	}
	ctx := context.Background()
	for _, mode := range []DedupMode{FirstArrival, Earliest, Latest} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		h := newHarness(t, mem, s, dedupOp(DedupSpec{Input: s, KeyCols: []int{1, 5}, TimeCol: 0, Mode: mode}))
		for i := 0; i < 3; i++ {
			b := mk(mem, 10*i, 4)
			if err := h.op.ProcessBatch(ctx, 0, b, h.emit); err != nil {
				t.Fatalf("%s: %v", mode, err)
			}
			b.Release()
			h.restart()
		}
		h.run(end{})
		h.close()
		mem.AssertSize(t, 0)
		iv := func(d int) string { return fmt.Sprintf(`{"months":0,"days":%d,"nanoseconds":0}`, d) }
		first := fmt.Sprintf("0 0 0 [0,1] %s (null) | 1 1 0.5 [1,2] %s (null) | 2 2 1 [2,3] %s (null) | @end", iv(0), iv(1), iv(2))
		got := strings.Join(h.out, " | ")
		switch mode {
		case FirstArrival, Earliest:
			if got != first {
				t.Errorf("%s: got %s\nwant %s", mode, got, first)
			}
		case Latest:
			// 3 inserts, then a delete and an insert per key and batch.
			if len(h.out) != 3+2*6+1 || !strings.HasPrefix(h.out[3], "2 2 1 [2,3]") || !strings.HasPrefix(h.out[14], "23 2 11.5 [23,24]") {
				t.Errorf("latest:\n%s", strings.Join(h.out, "\n"))
			}
		}
	}
}

func TestNoKeyColumns(t *testing.T) {
	spec := DedupSpec{Input: dedupSchema, TimeCol: -1}
	out, _ := script(t, dedupSchema, dedupOp(spec), rows{{1, "a", 0, 1}, {2, "b", 0, 2}}, rows{{3, "c", 0, 3}})
	equal(t, "output", out, []string{"1 a 0 1"})
	tspec := TopNSpec{Input: dedupSchema, CloseCol: -1, N: 2, RowNumber: true}
	out, _ = script(t, dedupSchema, topnOp(tspec), rows{{1, "a", 0, 1}, {2, "b", 0, 2}, {3, "c", 0, 3}}, end{})
	equal(t, "top-n output", out, []string{"1 a 0 1 1 +", "2 b 0 2 2 +", "@end"})
}

// TestKeptRowsStayBounded updates a few keys with many large batches: the
// batches holding replaced rows must be released or compacted away.
func TestKeptRowsStayBounded(t *testing.T) {
	ctx := context.Background()
	mem := optest.CheckedMem(t)
	for _, mk := range []func() (stateful, error){
		dedupOp(DedupSpec{Input: dedupSchema, KeyCols: []int{2}, TimeCol: 0, Mode: Latest}),
		topnOp(TopNSpec{Input: dedupSchema, PartitionCols: []int{2}, CloseCol: -1, Order: []SortKey{{Col: 3, Desc: true}}, N: 3}),
	} {
		h := newHarness(t, mem, dedupSchema, mk)
		nop := func(b arrow.RecordBatch) error { b.Release(); return nil }
		for i := 0; i < 40; i++ {
			var r rows
			for j := 0; j < 1000; j++ {
				v := i*1000 + j
				r = append(r, []any{v, "x", (v * 7919) % 2000, v})
			}
			b := optest.Batch(t, mem, dedupSchema, r)
			if err := h.op.ProcessBatch(ctx, 0, b, nop); err != nil {
				t.Fatal(err)
			}
			b.Release()
			var rs *rowStore
			switch op := h.op.(type) {
			case *Dedup:
				rs = &op.rows
			case *TopN:
				rs = &op.rows
			}
			if rs.heldRows > 2*rs.liveRows+operators.BatchSize {
				t.Fatalf("batch %d: %d rows held for %d live", i, rs.heldRows, rs.liveRows)
			}
		}
		h.close()
	}
}

// TestSchemas checks the output schemas, which keep the input's metadata.
func TestSchemas(t *testing.T) {
	md := arrow.NewMetadata([]string{"source"}, []string{"test"})
	in := arrow.NewSchema(dedupSchema.Fields(), &md)
	d, _ := NewDedup(DedupSpec{Input: in, KeyCols: []int{1}, TimeCol: -1})
	tn, _ := NewTopN(TopNSpec{Input: in, CloseCol: 0, N: 1})
	if d.Schema() != in || tn.Schema() != in {
		t.Errorf("append-only outputs without extra columns must have the input schema")
	}
	l, _ := NewDedup(DedupSpec{Input: in, KeyCols: []int{1}, TimeCol: 0, Mode: Latest})
	c, _ := NewTopN(TopNSpec{Input: in, CloseCol: -1, N: 1, RowNumber: true, RowNumberName: "rn"})
	for _, s := range []*arrow.Schema{l.Schema(), c.Schema()} {
		if !s.HasMetadata() || s.Field(s.NumFields()-1).Name != operators.OpColumn {
			t.Errorf("changelog schema %s: want the input's metadata and %s last", s, operators.OpColumn)
		}
	}
	if f := c.Schema().Field(4); f.Name != "rn" || f.Type.ID() != arrow.INT64 {
		t.Errorf("row number field %s", f)
	}
	if l.Spec().Mode != Latest || c.Spec().N != 1 {
		t.Errorf("Spec does not return the spec")
	}
}
