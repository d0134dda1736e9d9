package eventstream

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Readers tailing a filling chunk share the batch the first of them built:
// the same range is the same batch, a range inside it a slice, a range
// reaching past it a fresh build. Values stay right, and every batch is
// freed once the readers and the topic let go.
func TestTailBatchIsSharedWhileTheChunkFills(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tp := newTopic("t", topicCodec{}, nil, mem)
	add := func(from, to int) {
		var evs []*event
		for i := from; i < to; i++ {
			evs = append(evs, &event{seq: uint64(i + 1), id: fmt.Sprintf("id-%03d", i), raw: []byte(fmt.Sprintf(`{"i":%d}`, i))})
		}
		tp.append(evs)
	}
	read := func(after uint64) []part { return tp.after(after, 0).parts }

	add(0, 10)
	a := read(0)[0].batch(tp)
	b := read(0)[0].batch(tp)
	if a.Column(4).Data().Buffers()[2] != b.Column(4).Data().Buffers()[2] {
		t.Error("two readers of the same new events built two batches")
	}
	inner := read(5)[0].batch(tp) // events 5..9: a slice of the same batch
	if inner.NumRows() != 5 || inner.Column(4).(*array.String).Value(0) != `{"i":5}` ||
		inner.Column(4).Data().Buffers()[2] != a.Column(4).Data().Buffers()[2] {
		t.Errorf("a range inside the tail: %d rows, first %q", inner.NumRows(), inner.Column(4).(*array.String).Value(0))
	}
	add(10, 15)
	more := read(5)[0].batch(tp) // events 5..14 reach past the tail: built anew
	if more.NumRows() != 10 || more.Column(4).(*array.String).Value(9) != `{"i":14}` {
		t.Errorf("a range past the tail: %d rows, last %q", more.NumRows(), more.Column(4).(*array.String).Value(9))
	}
	for _, x := range []interface{ Release() }{a, b, inner, more} {
		x.Release()
	}
	tp.close()
}
