package operators

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestLimit(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := xoSchema(arrow.PrimitiveTypes.Int64)
	var in []arrow.RecordBatch
	var all [][]any
	for _, n := range []int{3, 0, 4, 1, 5} {
		var rows [][]any
		for range n {
			rows = append(rows, []any{len(all) + len(rows)})
		}
		in = append(in, xoBatch(t, mem, s, rows...))
		all = append(all, rows...)
	}
	defer releaseBatches(in)
	for _, tc := range []struct{ limit, offset int64 }{
		{-1, 0}, {-1, 2}, {-1, 13}, {-1, 20}, {0, 0}, {0, 5}, {1, 0}, {3, 0}, {4, 0}, {5, 2}, {7, 3}, {13, 0}, {20, 0}, {2, 12}, {5, 30},
	} {
		t.Run(fmt.Sprintf("%d-%d", tc.limit, tc.offset), func(t *testing.T) {
			got, err := xoRun(t, mem, NewLimit(s, tc.limit, tc.offset), in)
			if err != nil {
				t.Fatal(err)
			}
			want := all[min(int(tc.offset), len(all)):]
			if tc.limit >= 0 {
				want = want[:min(int(tc.limit), len(want))]
			}
			xoEqualRows(t, got, want)
		})
	}
}

// TestLimitDone checks that Limit reports ErrDone together with its last
// rows, and at once for LIMIT 0, and passes whole batches through.
func TestLimitDone(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := xoSchema(arrow.PrimitiveTypes.Int64)
	b := xoBatch(t, mem, s, []any{1}, []any{2}, []any{3})
	defer b.Release()
	ctx := context.Background()

	l := NewLimit(s, 5, 0)
	if err := l.Open(ctx, mem); err != nil {
		t.Fatal(err)
	}
	sink := &xoSink{t: t}
	defer sink.release()
	if err := l.ProcessBatch(ctx, 0, b, sink.emit); err != nil {
		t.Fatal(err)
	}
	if sink.batches[0] != b {
		t.Error("whole batch not passed through")
	}
	if err := l.ProcessBatch(ctx, 0, b, sink.emit); err != ErrDone {
		t.Fatalf("got %v, want ErrDone", err)
	}
	xoEqualRows(t, sink.rows(), [][]any{{1}, {2}, {3}, {1}, {2}})
	if err := l.ProcessBatch(ctx, 0, b, sink.emit); err != ErrDone || len(sink.batches) != 2 {
		t.Fatalf("after done: got %v and %d batches", err, len(sink.batches))
	}
	l.Close()

	l0 := NewLimit(s, 0, 0)
	if err := l0.Open(ctx, mem); err != nil {
		t.Fatal(err)
	}
	if err := l0.ProcessBatch(ctx, 0, b, sink.emit); err != ErrDone || len(sink.batches) != 2 {
		t.Fatalf("LIMIT 0: got %v", err)
	}
	// A downstream error is returned unchanged.
	boom := fmt.Errorf("boom")
	l1 := NewLimit(s, 2, 0)
	if err := l1.Open(ctx, mem); err != nil {
		t.Fatal(err)
	}
	if err := l1.ProcessBatch(ctx, 0, b, (&xoSink{t: t, failAt: 1, failErr: boom}).emit); err != boom {
		t.Fatalf("got %v, want boom", err)
	}
}
