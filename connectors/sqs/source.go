package sqs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
)

const (
	defaultLinger    = 100 * time.Millisecond
	defaultBatchRows = 1000
	// maxPrefetch bounds the messages a poller holds before Read takes
	// them: they are in flight, invisible to other consumers.
	maxPrefetch = 100
)

// OpenStream implements catalog.Streamable: one poller per split.
func (t *Table) OpenStream(ctx context.Context, req catalog.StreamRequest) ([]catalog.SplitReader, error) {
	if t.role != catalog.RoleSource {
		return nil, fmt.Errorf("opening sqs queue %s as a stream: the table is a sink (type=sink)", t.name())
	}
	for _, c := range req.Columns {
		if c < 0 || c >= t.schema.NumFields() {
			return nil, fmt.Errorf("opening sqs queue %s as a stream: column ordinal %d out of range (table has %d columns)", t.name(), c, t.schema.NumFields())
		}
	}
	url, err := t.queueURL(ctx)
	if err != nil {
		return nil, fmt.Errorf("opening sqs queue %s as a stream: %w", t.name(), err)
	}
	if req.Alloc == nil {
		req.Alloc = memory.DefaultAllocator
	}
	if req.BatchRows <= 0 {
		req.BatchRows = defaultBatchRows
	}
	if req.Linger == 0 {
		req.Linger = defaultLinger
	}
	fields := make([]arrow.Field, len(req.Columns))
	for i, c := range req.Columns {
		fields[i] = t.schema.Field(c)
	}
	out := arrow.NewSchema(fields, nil)
	readers := make([]catalog.SplitReader, t.splits)
	for i := range readers {
		id := t.name()
		if t.splits > 1 {
			id = fmt.Sprintf("%s/%d", id, i)
		}
		dec, err := file.NewMessageDecoder(t.format, t.payload, req.Alloc)
		if err != nil {
			for _, r := range readers[:i] {
				r.Close()
			}
			return nil, fmt.Errorf("opening sqs queue %s as a stream: %w", t.name(), err)
		}
		readers[i] = &reader{t: t, url: url, id: id, req: req, out: out, dec: dec,
			session: newSession(), wake: make(chan struct{}, 1), space: make(chan struct{}, 1)}
	}
	return readers, nil
}

// newSession names a reader's life, so positions of an earlier run are
// told apart from its own.
func newSession() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// tracked is a received message not yet deleted, with the time its
// visibility timeout ends.
type tracked struct {
	msg      types.Message
	seq      uint64 // 1-based order in which Read returned it (0: not yet)
	deadline time.Time
}

// reader is one split: a poller receiving messages into inbox, Read
// decoding them, a keeper extending their visibility, and CommitPosition
// deleting them.
type reader struct {
	t       *Table
	url, id string
	req     catalog.StreamRequest
	out     *arrow.Schema
	dec     *file.MessageDecoder
	session string

	mu      sync.Mutex
	inbox   []*tracked // received, not yet read
	pending []*tracked // read, waiting for their checkpoint
	read    uint64     // messages Read has returned or dead-lettered
	err     error      // the poller's failure, reported by Read
	closed  bool
	started bool
	stop    context.CancelFunc
	done    sync.WaitGroup
	wake    chan struct{} // the inbox got messages (or the poller failed)
	space   chan struct{} // the inbox has room again
}

var (
	_ catalog.SplitReader       = (*reader)(nil)
	_ catalog.PositionCommitter = (*reader)(nil)
)

// position is the encoded Position: the messages read by this reader.
type position struct {
	Session string `json:"session"`
	Read    uint64 `json:"read"`
}

// ID implements catalog.SplitReader: the queue name, or name/i.
func (r *reader) ID() string { return r.id }

// Read implements catalog.SplitReader: the messages received so far (up
// to BatchRows), waiting up to Linger for some; catalog.ErrIdle when none
// came.
func (r *reader) Read(ctx context.Context) (arrow.RecordBatch, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, fmt.Errorf("reading %s: the reader is closed", r.id)
	}
	if !r.started {
		r.startLocked()
	}
	r.mu.Unlock()
	timer := time.NewTimer(r.req.Linger)
	defer timer.Stop()
	for {
		r.mu.Lock()
		if r.err != nil {
			err := r.err
			r.mu.Unlock()
			return nil, err
		}
		n := min(len(r.inbox), r.req.BatchRows)
		got := r.inbox[:n:n]
		r.inbox = r.inbox[n:]
		r.mu.Unlock()
		if n > 0 {
			select {
			case r.space <- struct{}{}:
			default:
			}
			b, err := r.decode(ctx, got)
			if b != nil || err != nil {
				return b, err
			}
			continue // every message was dead-lettered
		}
		select {
		case <-r.wake:
		case <-timer.C:
			return nil, catalog.ErrIdle
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// decode turns messages into a batch of the requested columns, moving
// them to pending; undecodable ones go to the dead-letter output. It
// returns nil when no message decoded.
func (r *reader) decode(ctx context.Context, msgs []*tracked) (arrow.RecordBatch, error) {
	var ids, groups []string
	var sent []arrow.Timestamp
	for i, m := range msgs {
		body := []byte(aws.ToString(m.msg.Body))
		if err := r.dec.Decode(body); err != nil {
			reason := fmt.Sprintf("sqs queue %s: message %s: %v", r.t.name(), aws.ToString(m.msg.MessageId), err)
			if r.req.DeadLetter == nil {
				r.requeue(msgs[i:])
				return nil, fmt.Errorf("reading %s: %s", r.id, reason)
			}
			if err := r.req.DeadLetter(body, reason); err != nil {
				r.requeue(msgs[i:])
				return nil, fmt.Errorf("reading %s: dead-lettering message %s: %w", r.id, aws.ToString(m.msg.MessageId), err)
			}
		} else {
			ids = append(ids, aws.ToString(m.msg.MessageId))
			groups = append(groups, m.msg.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)])
			ms, _ := strconv.ParseInt(m.msg.Attributes[string(types.MessageSystemAttributeNameSentTimestamp)], 10, 64)
			sent = append(sent, arrow.Timestamp(ms*1000))
		}
		r.mu.Lock()
		r.read++
		m.seq = r.read
		r.pending = append(r.pending, m)
		r.mu.Unlock()
	}
	payload := r.dec.Flush()
	if payload == nil {
		return nil, nil
	}
	defer payload.Release()
	return r.project(payload, ids, groups, sent), nil
}

// requeue puts messages Read took back at the head of the inbox.
func (r *reader) requeue(msgs []*tracked) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inbox = append(append([]*tracked(nil), msgs...), r.inbox...)
}

// project assembles the requested columns from the decoded payload and
// the messages' metadata.
func (r *reader) project(payload arrow.RecordBatch, ids, groups []string, sent []arrow.Timestamp) arrow.RecordBatch {
	cols := make([]arrow.Array, len(r.req.Columns))
	for i, c := range r.req.Columns {
		f := r.t.schema.Field(c)
		switch f.Name {
		case colMessageID, colGroupID:
			vals := ids
			if f.Name == colGroupID {
				vals = groups
			}
			b := array.NewStringBuilder(r.req.Alloc)
			for _, v := range vals {
				if v == "" {
					b.AppendNull()
				} else {
					b.Append(v)
				}
			}
			cols[i] = b.NewArray()
			b.Release()
		case colSentTime:
			b := array.NewTimestampBuilder(r.req.Alloc, f.Type.(*arrow.TimestampType))
			b.AppendValues(sent, nil)
			cols[i] = b.NewArray()
			b.Release()
		default:
			col := payload.Column(r.t.payload.FieldIndices(f.Name)[0])
			col.Retain()
			cols[i] = col
		}
	}
	b := array.NewRecordBatch(r.out, cols, payload.NumRows())
	for _, c := range cols {
		c.Release()
	}
	return b
}

// Position implements catalog.SplitReader: how many messages this reader
// has read, which CommitPosition deletes up to.
func (r *reader) Position() ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return json.Marshal(position{Session: r.session, Read: r.read})
}

// Seek implements catalog.SplitReader. Receipt handles do not outlive a
// reader, so a checkpoint's position cannot be resumed from: the messages
// not deleted before the restart come back after their visibility
// timeout. Seek checks the position and otherwise does nothing.
func (r *reader) Seek(_ context.Context, pos []byte) error {
	if len(pos) == 0 {
		return nil
	}
	var p position
	if err := json.Unmarshal(pos, &p); err != nil {
		return fmt.Errorf("seeking %s: malformed position %q", r.id, pos)
	}
	return nil
}

// Close implements catalog.SplitReader: it stops the poller and keeper
// and makes the messages received but never read visible again at once.
// Messages read but not committed reappear after their visibility
// timeout. It may be called more than once.
func (r *reader) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	stop := r.stop
	r.mu.Unlock()
	if stop != nil {
		stop()
	}
	r.done.Wait()
	r.mu.Lock()
	unread := r.inbox
	r.inbox = nil
	r.mu.Unlock()
	r.dec.Release()
	if len(unread) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.changeVisibility(ctx, unread, 0); err != nil {
		return fmt.Errorf("closing %s: returning unread messages: %w", r.id, err)
	}
	return nil
}
