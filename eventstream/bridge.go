package eventstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// BridgeEvent is one change a StreamBridge carries: the seed's
// `stream.emit('insert', 'orders', orderData)`.
type BridgeEvent struct {
	Op        string    // insert, update, delete, … (free text)
	Table     string    // the table (topic) it belongs to
	Data      any       // the row: anything encoding/json marshals to an object
	Timestamp time.Time // when it was emitted
}

// BridgeOptions configure a StreamBridge; zero values take the seed's
// defaults.
type BridgeOptions struct {
	// BatchSize flushes once this many events are buffered (default 1000).
	BatchSize int
	// FlushInterval flushes what is buffered this long after the first
	// of it arrived (default 60 s).
	FlushInterval time.Duration
	// Transform, when set, rewrites each event as it is emitted (the
	// seed adds _partition_hour); returning false drops it.
	Transform func(BridgeEvent) (BridgeEvent, bool)
	// OnError hears a failure of a background (interval) flush; the
	// events stay buffered for the next flush.
	OnError func(error)
}

// StreamBridge buffers emitted changes and sends them in batches (the
// seed's StreamBridge in front of a Pipelines binding): by size, by
// interval, on Flush and on Close. Send gets each batch in emit order and
// must not keep it; a batch whose Send fails stays buffered and is sent
// again first. Safe for concurrent use.
type StreamBridge struct {
	send func(ctx context.Context, batch []BridgeEvent) error
	opts BridgeOptions

	mu     sync.Mutex
	buf    []BridgeEvent
	timer  *time.Timer
	closed bool
	flush  sync.Mutex // one Send at a time, in order
}

// NewStreamBridge returns a bridge sending batches with send (ToServer
// sends them to a hot tier; any sink can be wrapped).
func NewStreamBridge(send func(ctx context.Context, batch []BridgeEvent) error, opts BridgeOptions) *StreamBridge {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 60 * time.Second
	}
	return &StreamBridge{send: send, opts: opts}
}

// ErrBridgeClosed is returned by Emit after Close.
var ErrBridgeClosed = errors.New("stream bridge closed")

// Emit buffers one change, flushing when the batch is full.
func (b *StreamBridge) Emit(ctx context.Context, op, table string, data any) error {
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return ErrBridgeClosed
	}
	ev := BridgeEvent{Op: op, Table: table, Data: data, Timestamp: time.Now()}
	if b.opts.Transform != nil {
		var keep bool
		if ev, keep = b.opts.Transform(ev); !keep {
			return nil
		}
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return ErrBridgeClosed
	}
	b.buf = append(b.buf, ev)
	full := len(b.buf) >= b.opts.BatchSize
	if !full && b.timer == nil {
		b.timer = time.AfterFunc(b.opts.FlushInterval, b.intervalFlush)
	}
	b.mu.Unlock()
	if full {
		return b.Flush(ctx)
	}
	return nil
}

func (b *StreamBridge) intervalFlush() {
	if err := b.Flush(context.Background()); err != nil && b.opts.OnError != nil {
		b.opts.OnError(err)
	}
}

// Flush sends everything buffered, in batches of at most BatchSize.
func (b *StreamBridge) Flush(ctx context.Context) error {
	b.flush.Lock()
	defer b.flush.Unlock()
	for {
		b.mu.Lock()
		if b.timer != nil {
			b.timer.Stop()
			b.timer = nil
		}
		n := min(len(b.buf), b.opts.BatchSize)
		batch := b.buf[:n:n]
		b.mu.Unlock()
		if n == 0 {
			return nil
		}
		if err := b.send(ctx, batch); err != nil {
			b.mu.Lock()
			if len(b.buf) > 0 && b.timer == nil && !b.closed {
				b.timer = time.AfterFunc(b.opts.FlushInterval, b.intervalFlush)
			}
			b.mu.Unlock()
			return fmt.Errorf("flushing stream bridge: %w", err)
		}
		b.mu.Lock()
		b.buf = append([]BridgeEvent(nil), b.buf[n:]...)
		b.mu.Unlock()
	}
}

// Close flushes and stops the bridge; later Emits fail.
func (b *StreamBridge) Close(ctx context.Context) error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return b.Flush(ctx)
}

// ToServer sends bridge batches to a hot tier: each table's events are
// ingested into the topic of that name (one write-ahead log commit per
// table per batch), each row with its op in "_op".
func ToServer(s *Server) func(ctx context.Context, batch []BridgeEvent) error {
	return func(ctx context.Context, batch []BridgeEvent) error {
		byTable := map[string][]byte{}
		var order []string
		for _, ev := range batch {
			row, err := bridgeRow(ev)
			if err != nil {
				return err
			}
			if _, ok := byTable[ev.Table]; !ok {
				order = append(order, ev.Table)
			}
			byTable[ev.Table] = append(append(byTable[ev.Table], row...), '\n')
		}
		for _, table := range order {
			if _, err := s.ingest(ctx, table, byTable[table]); err != nil {
				return fmt.Errorf("sending to topic %s: %w", table, err)
			}
		}
		return nil
	}
}

// bridgeRow renders ev's data as a JSON object with "_op" added.
func bridgeRow(ev BridgeEvent) ([]byte, error) {
	raw, err := json.Marshal(ev.Data)
	if err != nil {
		return nil, fmt.Errorf("encoding a %s event of %s: %w", ev.Op, ev.Table, err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("encoding a %s event of %s: the data must be a JSON object", ev.Op, ev.Table)
	}
	op, _ := json.Marshal(ev.Op)
	obj["_op"] = op
	return json.Marshal(obj)
}
