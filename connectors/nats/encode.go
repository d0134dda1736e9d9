package nats

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/connectors/file"
	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/render"
)

// encoder turns a sink's rows into messages: the payload (a JSON object,
// or the raw VARCHAR column value), the subject and the optional message
// id.
type encoder struct {
	raw        bool
	names      []string
	types      []types.Type
	subject    string
	subjectCol int // -1: the fixed subject
	valueCol   int // raw: the payload column
	msgIDCol   int // -1: none
	buf        []byte
}

func newEncoder(c *config, schema *arrow.Schema) (*encoder, error) {
	e := &encoder{subject: c.subject, subjectCol: -1, valueCol: -1, msgIDCol: -1}
	if c.subject == "" && c.subjectColumn == "" {
		return nil, fmt.Errorf("a sink needs option subject or subject_column")
	}
	if strings.ContainsAny(c.subject, "*>") {
		return nil, fmt.Errorf("subject %q: a sink publishes to one subject, without wildcards", c.subject)
	}
	for _, f := range schema.Fields() {
		t, err := types.FromField(f)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", f.Name, err)
		}
		e.names, e.types = append(e.names, f.Name), append(e.types, t)
	}
	col := func(name, what string, kinds ...arrow.Type) (int, error) {
		idx := schema.FieldIndices(name)
		if len(idx) != 1 {
			return -1, fmt.Errorf("%s column %q is not among the query's columns (%s)", what, name, strings.Join(e.names, ", "))
		}
		for _, k := range kinds {
			if schema.Field(idx[0]).Type.ID() == k {
				return idx[0], nil
			}
		}
		return -1, fmt.Errorf("%s column %q is %s; want VARCHAR", what, name, schema.Field(idx[0]).Type)
	}
	var err error
	switch c.format {
	case file.MessageJSON:
	case file.MessageRaw:
		if e.valueCol, err = col("value", "raw payload", arrow.STRING); err != nil {
			return nil, err
		}
		e.raw = true
	default:
		return nil, fmt.Errorf("format %s: sinks write json or raw", c.format)
	}
	if c.subjectColumn != "" {
		if e.subjectCol, err = col(c.subjectColumn, "subject", arrow.STRING); err != nil {
			return nil, err
		}
	}
	if c.msgID != "" {
		ids := schema.FieldIndices(c.msgID)
		if len(ids) != 1 {
			return nil, fmt.Errorf("msg_id column %q is not among the query's columns (%s)", c.msgID, strings.Join(e.names, ", "))
		}
		e.msgIDCol = ids[0]
	}
	return e, nil
}

// payload encodes row r of b; the bytes are valid until the next call.
func (e *encoder) payload(b arrow.RecordBatch, r int) []byte {
	if e.raw {
		col := b.Column(e.valueCol).(*array.String)
		if col.IsNull(r) {
			return nil
		}
		return append(e.buf[:0], col.Value(r)...)
	}
	e.buf = render.AppendJSONRow(e.buf[:0], e.names, e.types, b, r)
	return e.buf
}

// subjectOf is the subject row r goes to.
func (e *encoder) subjectOf(b arrow.RecordBatch, r int) (string, error) {
	if e.subjectCol < 0 {
		return e.subject, nil
	}
	col := b.Column(e.subjectCol).(*array.String)
	if col.IsNull(r) || col.Value(r) == "" {
		if e.subject != "" {
			return e.subject, nil
		}
		return "", fmt.Errorf("row %d: subject column %s is empty", r, e.names[e.subjectCol])
	}
	s := col.Value(r)
	if strings.ContainsAny(s, "*> \t\r\n") {
		return "", fmt.Errorf("row %d: subject %q is not a subject to publish to", r, s)
	}
	return s, nil
}

// msgID is row r's chosen message id, "" without msg_id.
func (e *encoder) msgID(b arrow.RecordBatch, r int) (string, error) {
	if e.msgIDCol < 0 {
		return "", nil
	}
	v := expr.ScalarValue(b.Column(e.msgIDCol), r)
	if v == nil {
		return "", fmt.Errorf("row %d: msg_id column %s is NULL", r, e.names[e.msgIDCol])
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	return string(render.AppendJSONValue(nil, v, e.types[e.msgIDCol])), nil
}
