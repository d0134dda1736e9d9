package pubsub

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	ps "cloud.google.com/go/pubsub/v2"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
	"github.com/streamsql/streamsql/render"
)

// maxPull is the most messages one Pull asks for (the service's limit).
const maxPull = 1000

// reader is one split: it pulls, decodes, and keeps the ack ids of what it
// returned until CommitPosition acknowledges them.
type reader struct {
	src    *Source
	id     string
	client *ps.Client
	sub    string // full subscription name
	req    catalog.StreamRequest
	mem    memory.Allocator
	dec    *file.MessageDecoder
	batch  int

	seq uint64 // messages read so far (the position)

	mu       sync.Mutex // guards pending and extended: CommitPosition runs on another goroutine
	pending  []pendingAck
	extended time.Time // when the pending deadlines were last extended
}

type pendingAck struct {
	seq   uint64
	ackID string
}

func newReader(ctx context.Context, s *Source, i int, req catalog.StreamRequest, mem memory.Allocator) (*reader, error) {
	c, err := newClient(ctx, s.o)
	if err != nil {
		return nil, err
	}
	dataSchema := arrow.NewSchema(nil, nil)
	if len(s.data) > 0 {
		fields := make([]arrow.Field, len(s.data))
		for j, c := range s.data {
			fields[j] = s.schema.Field(c)
		}
		dataSchema = arrow.NewSchema(fields, nil)
	}
	dec, err := file.NewMessageDecoder(s.o.format, dataSchema, mem)
	if err != nil {
		c.Close()
		return nil, err
	}
	batch := req.BatchRows
	if batch <= 0 || batch > maxPull {
		batch = maxPull
	}
	return &reader{src: s, id: "subscription " + s.o.subscription + " puller " + strconv.Itoa(i), client: c,
		sub: "projects/" + s.o.project + "/subscriptions/" + s.o.subscription, req: req, mem: mem, dec: dec, batch: batch,
		extended: time.Now()}, nil
}

// ID implements catalog.SplitReader.
func (r *reader) ID() string { return r.id }

// Read pulls up to a batch of messages, waiting at most the linger.
func (r *reader) Read(ctx context.Context) (arrow.RecordBatch, error) {
	if r.client == nil {
		return nil, fmt.Errorf("reading %s: the reader is closed", r.id)
	}
	if err := r.extend(ctx); err != nil {
		return nil, err
	}
	linger := r.req.Linger
	if linger <= 0 {
		linger = 100 * time.Millisecond
	}
	pctx, cancel := context.WithTimeout(ctx, linger)
	resp, err := r.client.SubscriptionAdminClient.Pull(pctx, &pubsubpb.PullRequest{Subscription: r.sub, MaxMessages: int32(r.batch)})
	cancel()
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil && (errors.Is(pctx.Err(), context.DeadlineExceeded) || isDeadline(err)):
		return nil, catalog.ErrIdle
	case err != nil:
		return nil, fmt.Errorf("pulling from %s: %w", r.sub, err)
	}
	if len(resp.ReceivedMessages) == 0 {
		return nil, catalog.ErrIdle
	}
	return r.decode(ctx, resp.ReceivedMessages)
}

// decode turns pulled messages into a batch (nil, ErrIdle when every one
// was dead-lettered) and remembers their ack ids.
func (r *reader) decode(ctx context.Context, msgs []*pubsubpb.ReceivedMessage) (arrow.RecordBatch, error) {
	var kept []*pubsubpb.PubsubMessage
	r.mu.Lock()
	for _, m := range msgs {
		r.seq++
		r.pending = append(r.pending, pendingAck{seq: r.seq, ackID: m.AckId})
	}
	r.mu.Unlock()
	for _, m := range msgs {
		err := r.dec.Decode(m.Message.Data)
		if err == nil {
			kept = append(kept, m.Message)
			continue
		}
		reason := fmt.Sprintf("pubsub %s message %s: %v", r.src.o.subscription, m.Message.MessageId, err)
		if r.req.DeadLetter == nil {
			return nil, errors.New(reason)
		}
		if err := r.req.DeadLetter(m.Message.Data, reason); err != nil {
			return nil, fmt.Errorf("dead-lettering message %s: %w", m.Message.MessageId, err)
		}
	}
	data := r.dec.Flush()
	if data == nil {
		return nil, catalog.ErrIdle
	}
	defer data.Release()
	return r.assemble(data, kept), nil
}

// assemble puts the decoded columns and the metadata columns in table
// order, projected as the request asks.
func (r *reader) assemble(data arrow.RecordBatch, msgs []*pubsubpb.PubsubMessage) arrow.RecordBatch {
	s := r.src
	full := make([]arrow.Array, s.schema.NumFields())
	for j, c := range s.data {
		full[c] = data.Column(j)
	}
	var made []arrow.Array
	for c, name := range s.meta {
		a := metaArray(r.mem, s.schema.Field(c).Type, name, msgs)
		made = append(made, a)
		full[c] = a
	}
	defer func() {
		for _, a := range made {
			a.Release()
		}
	}()
	cols := r.req.Columns
	if cols == nil {
		cols = make([]int, len(full))
		for i := range cols {
			cols[i] = i
		}
	}
	out := make([]arrow.Array, len(cols))
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		out[i], fields[i] = full[c], s.schema.Field(c)
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), out, int64(len(msgs)))
}

// metaArray builds a metadata column (VARCHAR unless TIMESTAMP).
func metaArray(mem memory.Allocator, dt arrow.DataType, name string, msgs []*pubsubpb.PubsubMessage) arrow.Array {
	if name == "_publish_time" && dt.ID() == arrow.TIMESTAMP {
		b := array.NewTimestampBuilder(mem, dt.(*arrow.TimestampType))
		defer b.Release()
		for _, m := range msgs {
			b.Append(arrow.Timestamp(m.PublishTime.AsTime().UnixMicro()))
		}
		return b.NewArray()
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	for _, m := range msgs {
		switch name {
		case "_message_id":
			b.Append(m.MessageId)
		case "_publish_time":
			b.Append(m.PublishTime.AsTime().UTC().Format(time.RFC3339Nano))
		case "_ordering_key":
			b.Append(m.OrderingKey)
		case "_attributes":
			b.Append(string(attributesJSON(m.Attributes)))
		}
	}
	return b.NewArray()
}

// attributesJSON renders attributes as a JSON object, keys sorted.
func attributesJSON(attrs map[string]string) []byte {
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		out = render.AppendJSONValue(out, k, varchar)
		out = append(out, ':')
		out = render.AppendJSONValue(out, attrs[k], varchar)
	}
	return append(out, '}')
}
