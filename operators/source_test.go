package operators

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

func TestValues(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}, {Name: "y", Type: arrow.BinaryTypes.String}}, nil)
	b := xoBatch(t, mem, xoSchema(arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String), []any{1, "a"}, []any{nil, "b"})
	v := NewValues(s, b)
	defer v.Release()
	var src Source = v
	if src.Schema() != s {
		t.Fatal("wrong schema")
	}
	for range 2 { // runs more than once
		sink := &xoSink{t: t, schema: s}
		if err := src.Run(context.Background(), mem, sink.emit); err != nil {
			t.Fatal(err)
		}
		xoEqualRows(t, sink.rows(), [][]any{{1, "a"}, {nil, "b"}})
		sink.release()
	}
	sink := &xoSink{t: t, failAt: 1, failErr: ErrDone}
	if err := src.Run(context.Background(), mem, sink.emit); err != ErrDone {
		t.Fatalf("got %v, want ErrDone", err)
	}
	empty := NewValues(s, nil)
	if err := empty.Run(context.Background(), mem, sink.emit); err != nil {
		t.Fatal(err)
	}
	empty.Release()
}

// xoReader is a fake catalog.BatchReader over prepared batches.
type xoReader struct {
	batches []arrow.RecordBatch
	err     error // returned after the batches instead of io.EOF
	closed  int
}

func (r *xoReader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if len(r.batches) == 0 {
		if r.err != nil {
			return nil, r.err
		}
		return nil, io.EOF
	}
	b := r.batches[0]
	r.batches = r.batches[1:]
	return b, nil
}

func (r *xoReader) Close() error {
	r.closed++
	releaseBatches(r.batches)
	r.batches = nil
	return nil
}

func TestScanSource(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	mk := func() *xoReader {
		return &xoReader{batches: []arrow.RecordBatch{
			xoBatch(t, mem, s, []any{1}, []any{2}),
			xoBatch(t, mem, s),
			xoBatch(t, mem, xoSchema(arrow.PrimitiveTypes.Int64), []any{3}),
		}}
	}
	var r *xoReader
	src := NewScanSource(s, func(ctx context.Context, m memory.Allocator) (catalog.BatchReader, error) {
		r = mk()
		return r, nil
	})
	sink := &xoSink{t: t, schema: s}
	if err := src.Run(context.Background(), mem, sink.emit); err != nil {
		t.Fatal(err)
	}
	xoEqualRows(t, sink.rows(), [][]any{{1}, {2}, {3}})
	sink.release()
	if r.closed != 1 {
		t.Errorf("reader closed %d times", r.closed)
	}

	// ErrDone from downstream stops the scan, closes the reader and is
	// returned.
	stop := &xoSink{t: t, failAt: 1, failErr: ErrDone}
	if err := src.Run(context.Background(), mem, stop.emit); err != ErrDone {
		t.Fatalf("got %v, want ErrDone", err)
	}
	if r.closed != 1 || stop.calls != 1 {
		t.Errorf("reader closed %d times after %d emits", r.closed, stop.calls)
	}
}

func TestScanSourceErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := xoSchema(arrow.PrimitiveTypes.Int64)
	boom := errors.New("boom")
	sink := &xoSink{t: t}
	defer sink.release()

	src := NewScanSource(s, func(context.Context, memory.Allocator) (catalog.BatchReader, error) { return nil, boom })
	if err := src.Run(context.Background(), mem, sink.emit); !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "opening scan: ") {
		t.Fatalf("got %v", err)
	}

	r := &xoReader{batches: []arrow.RecordBatch{xoBatch(t, mem, s, []any{1})}, err: boom}
	src = NewScanSource(s, func(context.Context, memory.Allocator) (catalog.BatchReader, error) { return r, nil })
	if err := src.Run(context.Background(), mem, sink.emit); !errors.Is(err, boom) || r.closed != 1 {
		t.Fatalf("got %v, closed %d", err, r.closed)
	}

	// A column of another type is an error unless a cast converts it.
	i32 := xoSchema(arrow.PrimitiveTypes.Int32)
	r = &xoReader{batches: []arrow.RecordBatch{xoBatch(t, mem, i32, []any{7})}}
	src = NewScanSource(s, func(context.Context, memory.Allocator) (catalog.BatchReader, error) { return r, nil })
	err := src.Run(context.Background(), mem, sink.emit)
	if err == nil || err.Error() != "scanning: column c0 has type int32, want int64" {
		t.Fatalf("got %v", err)
	}
	if r.closed != 1 {
		t.Errorf("reader closed %d times", r.closed)
	}

	r = &xoReader{batches: []arrow.RecordBatch{xoBatch(t, mem, i32, []any{7}, []any{nil})}}
	src = NewScanSource(s, func(context.Context, memory.Allocator) (catalog.BatchReader, error) { return r, nil })
	src.Casts = []CastFunc{func(mem memory.Allocator, arr arrow.Array) (arrow.Array, error) {
		b := array.NewInt64Builder(mem)
		defer b.Release()
		a := arr.(*array.Int32)
		for i := range a.Len() {
			if a.IsNull(i) {
				b.AppendNull()
			} else {
				b.Append(int64(a.Value(i)))
			}
		}
		return b.NewArray(), nil
	}}
	sink.release()
	if err := src.Run(context.Background(), mem, sink.emit); err != nil {
		t.Fatal(err)
	}
	xoEqualRows(t, sink.rows(), [][]any{{7}, {nil}})

	// A cancelled context stops the scan.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r = &xoReader{batches: []arrow.RecordBatch{xoBatch(t, mem, s, []any{1})}}
	src = NewScanSource(s, func(context.Context, memory.Allocator) (catalog.BatchReader, error) { return r, nil })
	if err := src.Run(ctx, mem, sink.emit); !errors.Is(err, context.Canceled) || r.closed != 1 {
		t.Fatalf("got %v, closed %d", err, r.closed)
	}
}

// statsReader reports storage statistics, as the file and Iceberg readers do.
type statsReader struct{ xoReader }

func (r *statsReader) Stats() map[string]int64 { return map[string]int64{"row_groups_pruned": 3} }

// The reader's statistics survive its Close, for EXPLAIN ANALYZE.
func TestScanSourceKeepsStats(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := xoSchema(arrow.PrimitiveTypes.Int64)
	sink := &xoSink{t: t}
	defer sink.release()
	r := &statsReader{xoReader{batches: []arrow.RecordBatch{xoBatch(t, mem, s, []any{1})}}}
	src := NewScanSource(s, func(context.Context, memory.Allocator) (catalog.BatchReader, error) { return r, nil })
	if src.Stats() != nil {
		t.Fatal("stats before a run")
	}
	if err := src.Run(context.Background(), mem, sink.emit); err != nil {
		t.Fatal(err)
	}
	if got := src.Stats()["row_groups_pruned"]; got != 3 {
		t.Fatalf("stats after the run: %v", src.Stats())
	}
}
