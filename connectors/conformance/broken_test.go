package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// The suite tested on connectors broken on purpose: each check must
// notice the fault it is there for.

// broken wraps a table: open may change the request, wrap each reader.
type broken struct {
	catalog.Streamable
	open func(req *catalog.StreamRequest)
	wrap func(r catalog.SplitReader) catalog.SplitReader
}

func (b broken) OpenStream(ctx context.Context, req catalog.StreamRequest) ([]catalog.SplitReader, error) {
	if b.open != nil {
		b.open(&req)
	}
	rs, err := b.Streamable.OpenStream(ctx, req)
	if err == nil && b.wrap != nil {
		for i, r := range rs {
			rs[i] = b.wrap(r)
		}
	}
	return rs, err
}

// breakSource returns the memory harness with its tables wrapped.
func breakSource(t *testing.T, b broken) Source { return breakHarness(memorySource(t), b) }

// breakHarness wraps the tables of harness s.
func breakHarness(s Source, b broken) Source {
	open := s.Open
	s.Open = func(t *testing.T) catalog.Streamable {
		b.Streamable = open(t)
		return b
	}
	s.Timeout = 500 * time.Millisecond
	return s
}

// reader overrides some methods of a SplitReader.
type reader struct {
	catalog.SplitReader
	read func(ctx context.Context) (arrow.RecordBatch, error)
	seek func(ctx context.Context, pos []byte) error
}

func (r reader) Read(ctx context.Context) (arrow.RecordBatch, error) {
	if r.read != nil {
		return r.read(ctx)
	}
	return r.SplitReader.Read(ctx)
}

func (r reader) Seek(ctx context.Context, pos []byte) error {
	if r.seek != nil {
		return r.seek(ctx, pos)
	}
	return r.SplitReader.Seek(ctx, pos)
}

// reverse returns b's rows in reverse order (and releases b).
func reverse(b arrow.RecordBatch) arrow.RecordBatch {
	defer b.Release()
	n := int(b.NumRows())
	cols := make([]arrow.Array, b.NumCols())
	for c := range cols {
		parts := make([]arrow.Array, n)
		for i := range n {
			parts[i] = array.NewSlice(b.Column(c), int64(n-1-i), int64(n-i))
		}
		cols[c], _ = array.Concatenate(parts, memory.DefaultAllocator)
		for _, p := range parts {
			p.Release()
		}
	}
	out := array.NewRecordBatch(b.Schema(), cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return out
}

func expectFailure(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("the check said %v, want a failure saying %q", err, want)
	}
}

func TestSuiteCatchesReordering(t *testing.T) {
	s := breakSource(t, broken{wrap: func(r catalog.SplitReader) catalog.SplitReader {
		return reader{SplitReader: r, read: func(ctx context.Context) (arrow.RecordBatch, error) {
			b, err := r.Read(ctx)
			if err != nil {
				return nil, err
			}
			return reverse(b), nil
		}}
	}})
	expectFailure(t, checkOrder(t, &s), "per-key order broken")
}

// TestSuiteCatchesAckOnRead: a source that acknowledges what it reads at
// once (the position is stored on every Read and a fresh reader starts
// there) loses messages when a reader dies before the checkpoint.
func TestSuiteCatchesAckOnRead(t *testing.T) {
	var mu sync.Mutex
	acked := map[string][]byte{}
	s := breakSource(t, broken{wrap: func(r catalog.SplitReader) catalog.SplitReader {
		mu.Lock()
		pos, ok := acked[r.ID()]
		mu.Unlock()
		if ok {
			r.Seek(context.Background(), pos)
		}
		return reader{SplitReader: r, read: func(ctx context.Context) (arrow.RecordBatch, error) {
			b, err := r.Read(ctx)
			if p, perr := r.Position(); err == nil && perr == nil {
				mu.Lock()
				acked[r.ID()] = p
				mu.Unlock()
			}
			return b, err
		}}
	}})
	expectFailure(t, checkRestartBeforeCommit(t, &s), "every message again after the restart")
}

func TestSuiteCatchesIgnoredSeek(t *testing.T) {
	s := breakSource(t, broken{wrap: func(r catalog.SplitReader) catalog.SplitReader {
		return reader{SplitReader: r, seek: func(context.Context, []byte) error { return nil }}
	}})
	expectFailure(t, checkResume(t, &s), "came again after resuming")
}

func TestSuiteCatchesUnboundedBatches(t *testing.T) {
	s := breakSource(t, broken{open: func(req *catalog.StreamRequest) { req.BatchRows = 0 }})
	expectFailure(t, checkBoundedBatches(t, &s), "over BatchRows 8")
}

// TestSuiteCatchesBuffering: a reader that decodes the whole backlog into
// Arrow memory ahead of the consumer.
func TestSuiteCatchesBuffering(t *testing.T) {
	// The memory connector slices rows it holds itself: copy them into the
	// request's allocator first, as a decoding reader would, so that the
	// hoard counts.
	base := memorySource(t)
	inner := base.Open
	base.Open = func(t *testing.T) catalog.Streamable { return copying{inner(t)} }
	s := breakHarness(base, broken{wrap: func(r catalog.SplitReader) catalog.SplitReader {
		var queue []arrow.RecordBatch
		return reader{SplitReader: r, read: func(ctx context.Context) (arrow.RecordBatch, error) {
			for len(queue) == 0 {
				b, err := r.Read(ctx)
				if err != nil {
					return nil, err
				}
				queue = append(queue, b)
				for { // prefetch everything available
					b, err := r.Read(ctx)
					if err != nil {
						break
					}
					queue = append(queue, b)
				}
			}
			b := queue[0]
			queue = queue[1:]
			return b, nil
		}}
	}})
	expectFailure(t, checkBoundedBatches(t, &s), "buffers the backlog")
}

// copying copies every batch into the request's allocator.
type copying struct{ catalog.Streamable }

func (c copying) OpenStream(ctx context.Context, req catalog.StreamRequest) ([]catalog.SplitReader, error) {
	rs, err := c.Streamable.OpenStream(ctx, req)
	for i, r := range rs {
		rs[i] = reader{SplitReader: r, read: func(ctx context.Context) (arrow.RecordBatch, error) {
			b, err := r.Read(ctx)
			if err != nil {
				return nil, err
			}
			defer b.Release()
			cols := make([]arrow.Array, b.NumCols())
			for j := range cols {
				cols[j], _ = array.Concatenate([]arrow.Array{b.Column(j)}, req.Alloc)
			}
			out := array.NewRecordBatch(b.Schema(), cols, b.NumRows())
			for _, c := range cols {
				c.Release()
			}
			return out, nil
		}}
	}
	return rs, err
}

func TestSuiteCatchesLeakedGoroutines(t *testing.T) {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	s := breakSource(t, broken{open: func(*catalog.StreamRequest) {
		go func() { <-stop }() // a client goroutine nobody stops
	}})
	expectFailure(t, checkShutdown(t, &s), "leaks goroutines")
}

func TestSuiteCatchesFailedReconnect(t *testing.T) {
	var down atomic.Bool
	s := breakSource(t, broken{wrap: func(r catalog.SplitReader) catalog.SplitReader {
		return reader{SplitReader: r, read: func(ctx context.Context) (arrow.RecordBatch, error) {
			if down.Load() {
				return nil, errors.New("connection reset")
			}
			return r.Read(ctx)
		}}
	}})
	s.RestartServer = func(*testing.T) { down.Store(true) }
	expectFailure(t, checkReconnect(t, &s), "connection reset")

	good := memorySource(t)
	good.RestartServer = func(*testing.T) {} // nothing to restart: the check's own path
	if err := checkReconnect(t, &good); err != nil {
		t.Errorf("reconnect on a good source: %v", err)
	}
}

// TestSuiteCatchesSwallowedDeadLetters: a reader that skips malformed
// payloads without reporting them.
func TestSuiteCatchesSwallowedDeadLetters(t *testing.T) {
	s := breakHarness(fileSource(t), broken{open: func(req *catalog.StreamRequest) {
		req.DeadLetter = func([]byte, string) error { return nil }
	}})
	expectFailure(t, checkDeadLetters(t, &s), "the good messages and the dead letter")
}

// appendOnly is a sink that cannot take anything back but claims to be
// exactly once.
type appendOnly struct {
	mu   sync.Mutex
	rows [][]byte
}

func (a *appendOnly) OpenSink(context.Context, *arrow.Schema) (catalog.Sink, error) { return a, nil }
func (a *appendOnly) Write(_ context.Context, b arrow.RecordBatch) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range int(b.NumRows()) {
		row := map[string]any{"k": b.Column(0).ValueStr(i), "seq": b.Column(1).(*array.Int64).Value(i), "run": b.Column(2).ValueStr(i)}
		p, _ := json.Marshal(row)
		a.rows = append(a.rows, p)
	}
	return nil
}
func (a *appendOnly) PreCommit(context.Context, int64) ([]byte, error) { return []byte("{}"), nil }
func (a *appendOnly) Commit(context.Context, int64) error              { return nil }
func (a *appendOnly) Restore(context.Context, []byte) error            { return nil }
func (a *appendOnly) Close() error                                     { return nil }

func TestSuiteCatchesSinkReplays(t *testing.T) {
	a := &appendOnly{}
	s := Sink{Name: "append-only", Open: func(*testing.T) catalog.SinkTable { return a }, ExactlyOnce: true,
		Read: func(*testing.T) [][]byte {
			a.mu.Lock()
			defer a.mu.Unlock()
			return append([][]byte(nil), a.rows...)
		}}
	if err := checkSinkCommit(t, &s); err != nil {
		t.Errorf("write_and_commit: %v", err)
	}
	expectFailure(t, checkSinkResume(t, &s), "delivered 2 times")
	expectFailure(t, checkSinkLifecycle(t, &s), "Write after Close succeeded")
	// At least once it is: the resume check passes with ExactlyOnce off.
	s.ExactlyOnce = false
	if err := checkSinkResume(t, &s); err != nil {
		t.Errorf("resume_after_crash, at least once: %v", err)
	}
}

// TestSuiteCatchesIgnoredSeekInJob: through exec, a reader that ignores
// the checkpoint's positions replays the stream into the resumed job.
func TestSuiteCatchesIgnoredSeekInJob(t *testing.T) {
	s := breakSource(t, broken{wrap: func(r catalog.SplitReader) catalog.SplitReader {
		return reader{SplitReader: r, seek: func(context.Context, []byte) error { return nil }}
	}})
	s.Timeout = 5 * time.Second
	expectFailure(t, checkJob(t, &s), "in the output")
}
