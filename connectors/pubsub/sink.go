package pubsub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	ps "cloud.google.com/go/pubsub/v2"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/render"
)

// SinkTable is a topic a streaming query publishes to (see the package
// doc: at least once, each message tagged streamsql-id).
type SinkTable struct {
	o      options
	schema *arrow.Schema // declared, or nil to take the query's
}

var _ catalog.SinkTable = (*SinkTable)(nil)

// Schema implements catalog.Table (nil until a query names the columns).
func (t *SinkTable) Schema() *arrow.Schema { return t.schema }

// Scan implements catalog.Table: a topic cannot be read back.
func (t *SinkTable) Scan(context.Context, catalog.ScanRequest) (catalog.BatchReader, error) {
	return nil, fmt.Errorf("scanning pubsub topic %s: a sink table cannot be read; declare a subscription source", t.o.topic)
}

// OpenSink implements catalog.SinkTable.
func (t *SinkTable) OpenSink(ctx context.Context, schema *arrow.Schema) (catalog.Sink, error) {
	s := &sink{topic: t.o.topic, ordering: -1, attrs: -1, schema: schema}
	for i, f := range schema.Fields() {
		s.names = append(s.names, f.Name)
		ty, _ := types.FromField(f)
		s.types = append(s.types, ty)
		switch f.Name {
		case t.o.orderingCol:
			s.ordering = i
		case t.o.attrsCol:
			s.attrs = i
		}
	}
	if t.o.orderingCol != "" && s.ordering < 0 {
		return nil, fmt.Errorf("opening pubsub sink %s: ordering_key_column %q is not a column of the query", t.o.topic, t.o.orderingCol)
	}
	if t.o.attrsCol != "" && s.attrs < 0 {
		return nil, fmt.Errorf("opening pubsub sink %s: attributes_column %q is not a column of the query", t.o.topic, t.o.attrsCol)
	}
	c, err := newClient(ctx, t.o)
	if err != nil {
		return nil, fmt.Errorf("opening pubsub sink %s: %w", t.o.topic, err)
	}
	s.client = c
	s.pub = c.Publisher(t.o.topic)
	s.pub.EnableMessageOrdering = s.ordering >= 0
	return s, nil
}

// sink publishes rows; PreCommit waits until the service has them all.
type sink struct {
	topic          string
	client         *ps.Client
	pub            *ps.Publisher
	schema         *arrow.Schema
	names          []string
	types          []types.Type
	ordering       int // column of the ordering key, -1 none
	attrs          int // column of the attributes, -1 none
	epoch, n       int64
	results        []*ps.PublishResult
	keys           []string // ordering key of each result
	buf            []byte
	closed, failed bool
}

// Write publishes each row of b (borrowed) as a JSON object.
func (s *sink) Write(ctx context.Context, b arrow.RecordBatch) error {
	if s.closed {
		return fmt.Errorf("writing to pubsub topic %s: the sink is closed", s.topic)
	}
	for r := range int(b.NumRows()) {
		s.buf = render.AppendJSONRow(s.buf[:0], s.names, s.types, b, r)
		m := &ps.Message{Data: append([]byte(nil), s.buf...),
			Attributes: map[string]string{"streamsql-id": strconv.FormatInt(s.epoch+1, 10) + "-" + strconv.FormatInt(s.n, 10)}}
		s.n++
		if s.attrs >= 0 {
			if err := addAttributes(m.Attributes, b.Column(s.attrs), r); err != nil {
				return fmt.Errorf("writing to pubsub topic %s: row %d: %w", s.topic, r, err)
			}
		}
		if s.ordering >= 0 && b.Column(s.ordering).IsValid(r) {
			m.OrderingKey = b.Column(s.ordering).ValueStr(r)
		}
		s.results = append(s.results, s.pub.Publish(ctx, m))
		s.keys = append(s.keys, m.OrderingKey)
	}
	return nil
}

// addAttributes copies a JSON object of strings into attrs.
func addAttributes(attrs map[string]string, col arrow.Array, r int) error {
	if col.IsNull(r) {
		return nil
	}
	s, ok := col.(*array.String)
	if !ok {
		return fmt.Errorf("attributes column is %s, want a JSON object in VARCHAR or JSON", col.DataType())
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s.Value(r)), &m); err != nil {
		return fmt.Errorf("attributes %q: want a JSON object of strings: %w", s.Value(r), err)
	}
	for k, v := range m {
		attrs[k] = v
	}
	return nil
}

// PreCommit waits for every message published since the last one. A
// failed publish fails the checkpoint (so it is not acknowledged
// upstream) and, for an ordering key, lets the key publish again.
func (s *sink) PreCommit(ctx context.Context, epoch int64) ([]byte, error) {
	var errs []error
	for i, res := range s.results {
		if _, err := res.Get(ctx); err != nil {
			errs = append(errs, err)
			if s.keys[i] != "" {
				s.pub.ResumePublish(s.keys[i])
			}
		}
	}
	s.results, s.keys = s.results[:0], s.keys[:0]
	s.epoch, s.n = epoch, 0
	if len(errs) > 0 {
		return nil, fmt.Errorf("publishing to pubsub topic %s: %d messages failed: %w", s.topic, len(errs), errors.Join(errs[:min(len(errs), 3)]...))
	}
	return strconv.AppendInt(nil, epoch, 10), nil
}

// Commit implements catalog.Sink: published messages are already final.
func (s *sink) Commit(context.Context, int64) error { return nil }

// Restore implements catalog.Sink. Published messages cannot be taken
// back: the rows replayed after the checkpoint are published again (at
// least once), under the same streamsql-id numbering.
func (s *sink) Restore(_ context.Context, state []byte) error {
	if len(state) == 0 {
		return nil
	}
	e, err := strconv.ParseInt(string(state), 10, 64)
	if err != nil {
		return fmt.Errorf("restoring pubsub sink %s: state %q: %w", s.topic, state, err)
	}
	s.epoch, s.n = e, 0
	return nil
}

// Close stops the publisher (flushing what is pending) and the client.
func (s *sink) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.pub.Stop()
	if err := s.client.Close(); err != nil {
		return fmt.Errorf("closing pubsub sink %s: %w", s.topic, err)
	}
	return nil
}
