package eventstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

// Table is a topic's hot window as a SQL table: a Scan reads the events
// held now; OpenStream reads them and then tails new ones. Columns: _id,
// _ingest_ts, topic, timestamp (event time), data (the event as JSON),
// then the declared fields.
type Table struct{ t *topic }

var (
	_ catalog.Table      = (*Table)(nil)
	_ catalog.Streamable = (*Table)(nil)
	_ catalog.Describer  = (*Table)(nil)
)

// Schema implements catalog.Table.
func (tb *Table) Schema() *arrow.Schema { return tb.t.schema }

// Describe implements catalog.Describer.
func (tb *Table) Describe() string { return "eventstream topic " + tb.t.name + " (hot window)" }

// Scan implements catalog.Table: the events held when it starts, oldest
// first. Filters and Limit are left to the caller.
func (tb *Table) Scan(ctx context.Context, req catalog.ScanRequest) (catalog.BatchReader, error) {
	return tb.ScanAfter(ctx, req, 0)
}

// ScanAfter is Scan over the events after ingest sequence seq alone (the
// unified table's hot side skips what the cold tier holds without reading
// it). Events after seq that have expired are skipped.
func (tb *Table) ScanAfter(ctx context.Context, req catalog.ScanRequest, seq uint64) (catalog.BatchReader, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("scanning topic %s: %w", tb.t.name, err)
	}
	if err := checkColumns(tb.t.schema, req.Columns); err != nil {
		return nil, fmt.Errorf("scanning topic %s: %w", tb.t.name, err)
	}
	w := tb.t.after(seq, 0)
	if w.evicted { // events expired since seq: start at the oldest held
		w = tb.t.after(w.first-1, 0)
	}
	return &scanReader{t: tb.t, parts: w.parts, cols: req.Columns}, nil
}

// scanReader is the BatchReader of a Scan.
type scanReader struct {
	t     *topic
	parts []part
	cols  []int
}

func (r *scanReader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(r.parts) == 0 {
		return nil, io.EOF
	}
	p := r.parts[0]
	r.parts = r.parts[1:]
	b := p.batch(r.t)
	defer b.Release()
	return project(b, r.cols), nil
}

func (r *scanReader) Close() error {
	r.parts = nil
	return nil
}

// Default stream read parameters.
const (
	defaultLinger    = 100 * time.Millisecond
	defaultBatchRows = 8192
)

// OpenStream implements catalog.Streamable: one split, named
// "eventstream/<topic>", reading from the oldest event held (or from a
// Seek position) and then following new events. A reader that falls
// behind the retention window fails rather than skip events.
func (tb *Table) OpenStream(ctx context.Context, req catalog.StreamRequest) ([]catalog.SplitReader, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("opening topic %s: %w", tb.t.name, err)
	}
	if err := checkColumns(tb.t.schema, req.Columns); err != nil {
		return nil, fmt.Errorf("opening topic %s: %w", tb.t.name, err)
	}
	r := &streamReader{t: tb.t, cols: req.Columns, rows: req.BatchRows, linger: req.Linger, fresh: true}
	if r.rows <= 0 {
		r.rows = defaultBatchRows
	}
	if r.linger == 0 {
		r.linger = defaultLinger
	}
	return []catalog.SplitReader{r}, nil
}

// streamReader reads a topic as a stream.
type streamReader struct {
	t      *topic
	cols   []int
	rows   int
	linger time.Duration
	seq    uint64 // last seq returned
	fresh  bool   // not yet read or positioned: evicted events are skipped
	closed bool
}

// ErrFellBehind is returned when a reader or subscriber needs events the
// hot tier no longer holds, or lags the newest by more than it may.
var ErrFellBehind = errors.New("fell behind the hot window")

// ID implements catalog.SplitReader.
func (r *streamReader) ID() string { return "eventstream/" + r.t.name }

// Read implements catalog.SplitReader: the next events (up to BatchRows,
// within one chunk), catalog.ErrIdle after Linger without any, io.EOF
// once the server is closed.
func (r *streamReader) Read(ctx context.Context) (arrow.RecordBatch, error) {
	if r.closed {
		return nil, fmt.Errorf("reading %s: the reader is closed", r.ID())
	}
	var timer *time.Timer
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		w := r.t.after(r.seq, r.rows)
		if w.evicted {
			if !r.fresh {
				return nil, fmt.Errorf("reading %s after event %d: %w", r.ID(), r.seq, ErrFellBehind)
			}
			r.seq = w.first - 1
			continue
		}
		r.fresh = false
		if len(w.parts) > 0 {
			p := w.parts[0]
			b := p.batch(r.t)
			defer b.Release()
			r.seq = p.evs[len(p.evs)-1].seq
			return project(b, r.cols), nil
		}
		if w.closed {
			return nil, io.EOF
		}
		if r.linger < 0 {
			return nil, catalog.ErrIdle
		}
		if timer == nil {
			timer = time.NewTimer(r.linger)
			defer timer.Stop()
		}
		select {
		case <-w.wait:
		case <-timer.C:
			return nil, catalog.ErrIdle
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// streamPosition is the encoded Position.
type streamPosition struct {
	Seq uint64 `json:"seq"`
}

// Position implements catalog.SplitReader: the seq of the last event read.
func (r *streamReader) Position() ([]byte, error) {
	return json.Marshal(streamPosition{Seq: r.seq})
}

// Seek implements catalog.SplitReader.
func (r *streamReader) Seek(_ context.Context, pos []byte) error {
	if r.closed {
		return fmt.Errorf("seeking %s: the reader is closed", r.ID())
	}
	var p streamPosition
	if err := json.Unmarshal(pos, &p); err != nil {
		return fmt.Errorf("seeking %s: malformed position %q", r.ID(), pos)
	}
	r.seq, r.fresh = p.Seq, false
	return nil
}

// Close implements catalog.SplitReader.
func (r *streamReader) Close() error {
	r.closed = true
	return nil
}
