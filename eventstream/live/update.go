package live

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/render"
)

// Update is one delivery to a subscriber: rows a job emitted, or the end
// of the subscription.
//
// Rows are already JSON (values in column order, as the wire protocol in
// the package comment shows) because one job's output is encoded once and
// shared by all its subscribers; treat them as read-only.
type Update struct {
	Columns []string            // output column names (without _op)
	Rows    [][]json.RawMessage // one JSON value per column
	// Ops is nil for append-only queries; for EMIT CHANGES, Ops[i] is
	// "insert" or "delete" (a retraction of an earlier insert) for Rows[i].
	Ops []string
	// Snapshot marks the current result sent to a subscriber that joined
	// a running EMIT CHANGES job, before its first change.
	Snapshot bool
	// Err, when set, is the last update of the subscription: it ended
	// because the subscriber fell behind (ErrSlowConsumer), the job failed
	// or its input ended (ErrInputEnded), or the manager closed
	// (ErrClosed). Rows is empty then.
	Err error
}

var (
	// ErrSlowConsumer ends a subscription whose queue overflowed: the
	// subscriber did not keep up with its job.
	ErrSlowConsumer = errors.New("live query: subscriber too slow, its queue overflowed")
	// ErrInputEnded ends the subscriptions of a job whose input ended
	// (every table it reads is bounded or was closed).
	ErrInputEnded = errors.New("live query: input ended")
	// ErrTooManyJobs is returned by Subscribe when a new query would run
	// more jobs than Options.MaxJobs.
	ErrTooManyJobs = errors.New("live query: too many distinct queries running")
	// ErrClosed ends subscriptions when the Manager closes, and is
	// returned by Subscribe afterwards.
	ErrClosed = errors.New("live query: manager closed")
)

// MarshalJSON renders the update as one wire frame (see the package
// comment).
func (u Update) MarshalJSON() ([]byte, error) { return u.appendFrame(nil, 0, len(u.Rows)), nil }

// appendFrame appends the frame of rows [from, to).
func (u Update) appendFrame(dst []byte, from, to int) []byte {
	if u.Err != nil {
		dst = append(dst, `{"error":`...)
		return append(appendString(dst, u.Err.Error()), '}')
	}
	dst = append(dst, `{"columns":[`...)
	for i, c := range u.Columns {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, c)
	}
	dst = append(dst, `],"rows":[`...)
	for i, row := range u.Rows[from:to] {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '[')
		for j, v := range row {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, v...)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, ']')
	if u.Ops != nil {
		dst = append(dst, `,"ops":[`...)
		for i, op := range u.Ops[from:to] {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, op)
		}
		dst = append(dst, ']')
	}
	if u.Snapshot {
		dst = append(dst, `,"snapshot":true`...)
	}
	return append(dst, '}')
}

func appendString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return append(dst, b...)
}

// encoder turns a job's output batches into Updates.
type encoder struct {
	columns []string
	types   []types.Type
	cols    []int // batch column of each output column
	op      int   // batch column of _op, or -1
}

// newEncoder prepares the encoding of batches of schema.
func newEncoder(schema *arrow.Schema) (*encoder, error) {
	e := &encoder{op: -1}
	for i, f := range schema.Fields() {
		if f.Name == operators.OpColumn {
			e.op = i
			continue
		}
		t, err := types.FromField(f)
		if err != nil {
			return nil, fmt.Errorf("encoding column %s: %w", f.Name, err)
		}
		e.columns = append(e.columns, f.Name)
		e.types = append(e.types, t)
		e.cols = append(e.cols, i)
	}
	return e, nil
}

// encode renders b's rows (b is borrowed).
func (e *encoder) encode(b arrow.RecordBatch) (Update, error) {
	n := int(b.NumRows())
	u := Update{Columns: e.columns, Rows: make([][]json.RawMessage, n)}
	if e.op >= 0 {
		u.Ops = make([]string, n)
	}
	var buf []byte
	for r := range n {
		row := make([]json.RawMessage, len(e.cols))
		for i, c := range e.cols {
			start := len(buf)
			buf = render.AppendJSONValue(buf, expr.ScalarValue(b.Column(c), r), e.types[i])
			row[i] = buf[start:len(buf):len(buf)]
		}
		u.Rows[r] = row
		if e.op >= 0 {
			switch op := expr.ScalarValue(b.Column(e.op), r); op {
			case operators.OpInsert, operators.OpDelete:
				u.Ops[r] = op.(string)
			default:
				return Update{}, fmt.Errorf("encoding row %d: unknown changelog op %v", r, op)
			}
		}
	}
	return u, nil
}
