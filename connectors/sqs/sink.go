package sqs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
	"github.com/streamsql/streamsql/operators/expr"
	sqltypes "github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/render"
)

// SQS's limits on what one SendMessageBatch carries.
const (
	maxMessageBytes = 262144
	maxBatchBytes   = 262144
	maxBatchEntries = 10
)

// OpenSink implements catalog.SinkTable.
func (t *Table) OpenSink(ctx context.Context, schema *arrow.Schema) (catalog.Sink, error) {
	if t.role != catalog.RoleSink {
		return nil, fmt.Errorf("opening sqs queue %s as a sink: the table is a source (set type=sink)", t.name())
	}
	k := &sink{t: t, names: make([]string, schema.NumFields()), types: make([]sqltypes.Type, schema.NumFields()),
		value: -1, group: -1, dedup: -1, prefix: newSession()}
	for i, f := range schema.Fields() {
		k.names[i] = f.Name
		typ, err := sqltypes.FromField(f)
		if err != nil {
			return nil, fmt.Errorf("opening sqs queue %s as a sink: column %s: %w", t.name(), f.Name, err)
		}
		k.types[i] = typ
	}
	column := func(name, what string) (int, error) {
		idx := schema.FieldIndices(name)
		if len(idx) != 1 {
			return -1, fmt.Errorf("opening sqs queue %s as a sink: %s %q is not a column of the query (have %v)", t.name(), what, name, k.names)
		}
		return idx[0], nil
	}
	var err error
	if t.format == file.MessageRaw {
		if k.value, err = column("value", "the raw payload column"); err != nil {
			return nil, err
		}
		if !k.types[k.value].IsString() {
			return nil, fmt.Errorf("opening sqs queue %s as a sink: format raw needs a VARCHAR column value", t.name())
		}
	}
	if t.groupCol != "" {
		if k.group, err = column(t.groupCol, "group_column"); err != nil {
			return nil, err
		}
	} else if t.fifo() {
		return nil, fmt.Errorf("opening sqs queue %s as a sink: a FIFO queue needs group_column (the column giving each message's group)", t.name())
	}
	if t.dedupCol != "" {
		if k.dedup, err = column(t.dedupCol, "dedup_column"); err != nil {
			return nil, err
		}
	}
	if k.url, err = t.queueURL(ctx); err != nil {
		return nil, fmt.Errorf("opening sqs queue %s as a sink: %w", t.name(), err)
	}
	return k, nil
}

// sink sends a job's rows to a queue.
type sink struct {
	t      *Table
	url    string
	names  []string
	types  []sqltypes.Type
	value  int // raw payload column, -1 for json
	group  int // group_column, -1 if none
	dedup  int // dedup_column, -1 if none
	buf    []types.SendMessageBatchRequestEntry
	bytes  int    // body bytes in buf
	prefix string // of generated deduplication ids
	seq    int64  // rows written, across resumes
	used   bool   // written to or pre-committed
	closed bool
}

// sinkState is the checkpoint state: what generated deduplication ids
// continue from on resume.
type sinkState struct {
	Prefix string `json:"prefix"`
	Seq    int64  `json:"seq"`
}

var _ catalog.Sink = (*sink)(nil)

// Write implements catalog.Sink: rows are buffered and sent in full
// batches.
func (k *sink) Write(ctx context.Context, b arrow.RecordBatch) error {
	if k.closed {
		return fmt.Errorf("writing to sqs queue %s: the sink is closed", k.t.name())
	}
	k.used = true
	var body []byte
	for r := 0; r < int(b.NumRows()); r++ {
		body = body[:0]
		if k.value >= 0 {
			v, _ := expr.ScalarValue(b.Column(k.value), r).(string)
			body = append(body, v...)
		} else {
			body = render.AppendJSONRow(body, k.names, k.types, b, r)
		}
		if len(body) > maxMessageBytes {
			return fmt.Errorf("writing to sqs queue %s: row %d encodes to %d bytes, more than SQS's %d", k.t.name(), k.seq, len(body), maxMessageBytes)
		}
		if len(body) == 0 {
			return fmt.Errorf("writing to sqs queue %s: row %d has an empty payload, which SQS refuses", k.t.name(), k.seq)
		}
		e := types.SendMessageBatchRequestEntry{MessageBody: aws.String(string(body))}
		if k.group >= 0 {
			g := text(b.Column(k.group), r)
			if g == "" {
				return fmt.Errorf("writing to sqs queue %s: row %d has no group in column %s", k.t.name(), k.seq, k.names[k.group])
			}
			e.MessageGroupId = aws.String(g)
		}
		if k.t.fifo() {
			id := k.prefix + "-" + strconv.FormatInt(k.seq, 10)
			if k.dedup >= 0 {
				if id = text(b.Column(k.dedup), r); id == "" {
					return fmt.Errorf("writing to sqs queue %s: row %d has no deduplication id in column %s", k.t.name(), k.seq, k.names[k.dedup])
				}
			}
			e.MessageDeduplicationId = aws.String(id)
		}
		if len(k.buf) == maxBatchEntries || k.bytes+len(body) > maxBatchBytes {
			if err := k.flush(ctx); err != nil {
				return err
			}
		}
		k.buf = append(k.buf, e)
		k.bytes += len(body)
		k.seq++
	}
	return nil
}

// text renders a group or deduplication id value ("" for NULL).
func text(a arrow.Array, r int) string {
	switch v := expr.ScalarValue(a, r).(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// flush sends the buffered entries as one batch, retrying the entries
// that failed on the service's side with backoff.
func (k *sink) flush(ctx context.Context) error {
	left := k.buf
	for i := range left {
		left[i].Id = aws.String(strconv.Itoa(i))
	}
	for attempt := 0; len(left) > 0; attempt++ {
		if attempt > 0 {
			if err := pause(ctx, backoff(attempt-1)); err != nil {
				return fmt.Errorf("sending to sqs queue %s: %w", k.t.name(), err)
			}
		}
		out, err := k.t.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(k.url), Entries: left})
		if err != nil {
			return fmt.Errorf("sending to sqs queue %s: %w", k.t.name(), err)
		}
		byID := map[string]types.SendMessageBatchRequestEntry{}
		for _, e := range left {
			byID[aws.ToString(e.Id)] = e
		}
		var retry []types.SendMessageBatchRequestEntry
		for _, f := range out.Failed {
			if f.SenderFault || attempt+1 >= k.t.retries {
				return fmt.Errorf("sending to sqs queue %s: %d of %d messages failed, e.g. %s: %s", k.t.name(), len(out.Failed), len(left), aws.ToString(f.Code), aws.ToString(f.Message))
			}
			if e, ok := byID[aws.ToString(f.Id)]; ok {
				retry = append(retry, e)
			}
		}
		left = retry
	}
	k.buf, k.bytes = k.buf[:0], 0
	return nil
}

func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// PreCommit implements catalog.Sink: it sends everything buffered and
// returns the state generated deduplication ids continue from.
func (k *sink) PreCommit(ctx context.Context, _ int64) ([]byte, error) {
	if k.closed {
		return nil, fmt.Errorf("pre-committing sqs queue %s: the sink is closed", k.t.name())
	}
	k.used = true
	if len(k.buf) > 0 {
		if err := k.flush(ctx); err != nil {
			return nil, fmt.Errorf("pre-committing: %w", err)
		}
	}
	return json.Marshal(sinkState{Prefix: k.prefix, Seq: k.seq})
}

// Commit implements catalog.Sink: the messages were sent at PreCommit.
func (k *sink) Commit(context.Context, int64) error { return nil }

// Restore implements catalog.Sink. Messages sent after the checkpoint
// cannot be taken back; a resumed job continues the checkpoint's
// deduplication ids, so a FIFO queue drops rows it sends again within
// SQS's 5-minute window.
func (k *sink) Restore(_ context.Context, state []byte) error {
	if k.used {
		return errors.New("restoring sqs sink: Restore must come before any Write")
	}
	var st sinkState
	if err := json.Unmarshal(state, &st); err != nil || st.Prefix == "" || st.Seq < 0 {
		return fmt.Errorf("restoring sqs sink: malformed state %q", state)
	}
	k.prefix, k.seq = st.Prefix, st.Seq
	return nil
}

// Close implements catalog.Sink: it sends what is still buffered.
func (k *sink) Close() error {
	if k.closed {
		return nil
	}
	k.closed = true
	if len(k.buf) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := k.flush(ctx); err != nil {
		return fmt.Errorf("closing: %w", err)
	}
	return nil
}
