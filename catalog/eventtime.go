package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// EventTime is a stream's event-time definition: the TIMESTAMP column
// rows are windowed by and how far the watermark trails it.
type EventTime struct {
	Column string // "" when the stream has no event time
	// Delay is the watermark delay in µs: the watermark is the largest
	// event time read minus Delay (WATERMARK FOR ts AS ts - INTERVAL …).
	Delay int64
	// IdleTimeout releases a split that reads nothing for this long from
	// holding the watermark back; 0 never does.
	IdleTimeout time.Duration
}

// StreamTable marks a table as a stream in streaming queries: its rows
// arrive continuously through Streamable, with an event time. Tables not
// wrapped are bounded there (lookup tables). As a plain Table it scans
// like the table it wraps.
type StreamTable struct {
	Table
	Time EventTime
}

// NewStreamTable wraps t, which must implement Streamable, as a stream.
func NewStreamTable(t Table, et EventTime) (*StreamTable, error) {
	if _, ok := t.(Streamable); !ok {
		return nil, fmt.Errorf("making stream: table of type %T cannot be read as a stream", t)
	}
	if et.Column != "" {
		i := t.Schema().FieldIndices(et.Column)
		if len(i) == 0 {
			return nil, fmt.Errorf("making stream: event-time column %q does not exist", et.Column)
		}
		if f := t.Schema().Field(i[0]); f.Type.ID() != arrow.TIMESTAMP {
			return nil, fmt.Errorf("making stream: event-time column %q must be TIMESTAMP, not %s", et.Column, f.Type)
		}
	}
	return &StreamTable{Table: t, Time: et}, nil
}

// OpenStream implements Streamable.
func (s *StreamTable) OpenStream(ctx context.Context, req StreamRequest) ([]SplitReader, error) {
	return s.Table.(Streamable).OpenStream(ctx, req)
}

// TimeColumn is the ordinal of the event-time column, or -1.
func (s *StreamTable) TimeColumn() int {
	if s.Time.Column == "" {
		return -1
	}
	if i := s.Schema().FieldIndices(s.Time.Column); len(i) > 0 {
		return i[0]
	}
	return -1
}

// Release frees the wrapped table's memory, if it holds any (a memory
// stream): the catalog releases what it drops.
func (s *StreamTable) Release() {
	if r, ok := s.Table.(interface{ Release() }); ok {
		r.Release()
	}
}

// Unwrap returns the wrapped table.
func (s *StreamTable) Unwrap() Table { return s.Table }

// Describe implements Describer.
func (s *StreamTable) Describe() string {
	d := fmt.Sprintf("%T", s.Table)
	if ds, ok := s.Table.(Describer); ok {
		d = ds.Describe()
	}
	if s.Time.Column != "" {
		d += fmt.Sprintf(" (stream, event time %s, watermark delay %s)", s.Time.Column, time.Duration(s.Time.Delay)*time.Microsecond)
	} else {
		d += " (stream)"
	}
	return d
}
