package pubsub

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// With an ordering-enabled subscription and one split, each ordering key's
// messages arrive in publish order; messages waiting for a checkpoint get
// their deadlines extended.
func TestOrderingKeysAndDeadlineExtension(t *testing.T) {
	f := newFake(t, true)
	var ids []string
	for i := range 20 {
		key := []string{"a", "b"}[i%2]
		ids = append(ids, f.srv.PublishOrdered(f.topicName(), []byte(`{"n":`+strconv.Itoa(i)+`}`), nil, key))
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tbl, err := catalog.OpenURI(f.uri(f.sub, "schema=n+BIGINT,_ordering_key+VARCHAR"), catalog.RoleSource, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rs, err := tbl.(catalog.Streamable).OpenStream(ctx, catalog.StreamRequest{Alloc: mem, Linger: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r := rs[0].(*reader)
	defer r.Close()
	last := map[string]int64{"a": -1, "b": -1}
	seen := 0
	for deadline := time.Now().Add(10 * time.Second); seen < 20 && time.Now().Before(deadline); {
		b, err := r.Read(ctx)
		if errors.Is(err, catalog.ErrIdle) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		ns := b.Column(0)
		for i := range int(b.NumRows()) {
			n, key := ns.(interface{ Value(int) int64 }).Value(i), b.Column(1).ValueStr(i)
			if n <= last[key] {
				t.Fatalf("key %s: %d after %d", key, n, last[key])
			}
			last[key] = n
			seen++
		}
		b.Release()
		if seen == 2 { // the first of each key wait for a checkpoint
			r.mu.Lock()
			r.extended = time.Now().Add(-time.Hour)
			r.mu.Unlock()
			if err := r.extend(ctx); err != nil {
				t.Fatal(err)
			}
			if m := f.srv.Message(ids[0]); len(m.Modacks) == 0 || m.Modacks[len(m.Modacks)-1].AckDeadline != 30 {
				t.Fatalf("modacks of a waiting message: %+v", m.Modacks)
			}
		}
		// A checkpoint: the emulator releases a key's next message only
		// once the previous one is acknowledged.
		pos, _ := r.Position()
		if err := r.CommitPosition(ctx, pos); err != nil {
			t.Fatal(err)
		}
	}
	if seen != 20 {
		t.Fatalf("read %d of 20", seen)
	}
}
