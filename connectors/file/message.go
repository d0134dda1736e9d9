package file

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// Message formats: how a broker message's payload maps to one row. The
// broker connectors (Kafka, NATS, SQS, Pub/Sub) share these decoders, so a
// payload decodes the same way whichever system carried it.
const (
	// MessageJSON is one JSON object per message, keys matched to columns
	// by name (exact, then case-insensitively); other keys are ignored.
	MessageJSON = "json"
	// MessageRaw puts the whole payload, as text, in the column "value".
	MessageRaw = "raw"
	// MessageCSV is one CSV record per message, fields in column order.
	MessageCSV = "csv"
)

// MessageFormats lists the formats NewMessageDecoder accepts.
var MessageFormats = []string{MessageJSON, MessageRaw, MessageCSV}

// RawSchema is the schema of format raw when none is declared.
var RawSchema = arrow.NewSchema([]arrow.Field{newField("value", types.Varchar)}, nil)

// MessageDecoder decodes message payloads into rows of Arrow batches.
// Decode appends one row or, on error, nothing: the caller dead-letters
// the payload with the error as the reason and goes on. Flush hands the
// rows decoded so far to the caller as a batch it owns. A decoder is used
// by one goroutine at a time; Release frees its builders.
type MessageDecoder struct {
	format string
	schema *arrow.Schema
	bb     *batchBuilder
	json   *jsonDecoder
	raw    int // column of the payload for raw, -1 if none
	csv    csvFields
	// only, for raw over a schema of just the value column, takes the
	// payloads straight into the column's buffers.
	only *strColumn
}

// NewMessageDecoder returns a decoder of format into rows of schema (all
// columns, in order).
func NewMessageDecoder(format string, schema *arrow.Schema, mem memory.Allocator) (*MessageDecoder, error) {
	native, err := nativeSchema(schema)
	if err != nil {
		return nil, fmt.Errorf("creating %s message decoder: %w", format, err)
	}
	proj := make([]int, native.NumFields())
	for i := range proj {
		proj[i] = i
	}
	d := &MessageDecoder{format: strings.ToLower(format), schema: native, raw: -1}
	switch d.format {
	case MessageJSON:
		d.bb = newBatchBuilder(mem, native, native, proj)
		d.json = newJSONDecoder(&Table{schema: native}, d.bb)
	case MessageRaw:
		if idx := native.FieldIndices("value"); len(idx) == 1 && kindOf(native.Field(idx[0])) == types.Varchar {
			d.raw = idx[0]
		} else {
			return nil, errors.New(`creating raw message decoder: the schema needs a VARCHAR column named "value" for the payload`)
		}
		if native.NumFields() == 1 {
			d.only = newStrColumn(mem)
			break
		}
		d.bb = newBatchBuilder(mem, native, native, proj)
	case MessageCSV:
		d.bb = newBatchBuilder(mem, native, native, proj)
	default:
		return nil, fmt.Errorf("creating message decoder: unknown format %q (have %s)", format, strings.Join(MessageFormats, ", "))
	}
	return d, nil
}

// Schema is the schema of the decoded batches.
func (d *MessageDecoder) Schema() *arrow.Schema { return d.schema }

// Decode appends msg (borrowed: copied as needed) as one row.
func (d *MessageDecoder) Decode(msg []byte) error {
	switch d.format {
	case MessageJSON:
		blank, err := d.json.decode(msg)
		if blank {
			return errors.New("empty message: want a JSON object")
		}
		if err != nil {
			return err
		}
	case MessageRaw:
		if d.only != nil {
			appendStr(d.only, msg)
			return nil
		}
		d.bb.reset()
		v := &d.bb.vals[d.bb.slotOf[d.raw]]
		v.set, v.isS, v.b = true, false, msg // copied by commit, below
	case MessageCSV:
		if err := d.csv.decode(d.bb, d.schema, msg); err != nil {
			return err
		}
	}
	d.bb.commit()
	return nil
}

// Rows is the number of rows decoded since the last Flush.
func (d *MessageDecoder) Rows() int {
	if d.only != nil {
		return d.only.n
	}
	return d.bb.n
}

// Flush returns the decoded rows as a batch owned by the caller, nil when
// there are none.
func (d *MessageDecoder) Flush() arrow.RecordBatch {
	if d.only == nil {
		return d.bb.flush()
	}
	col := d.only.flush()
	if col == nil {
		return nil
	}
	defer col.Release()
	return array.NewRecordBatch(d.schema, []arrow.Array{col}, int64(col.Len()))
}

// Release frees the decoder's builders; it may be called more than once.
func (d *MessageDecoder) Release() {
	if d.bb != nil {
		d.bb.release()
		d.bb = nil
	}
	if d.only != nil {
		d.only.release()
		d.only = nil
	}
}

// csvFields decodes one CSV record per message.
type csvFields struct {
	r   bytes.Reader
	rec []string
}

func (c *csvFields) decode(bb *batchBuilder, schema *arrow.Schema, msg []byte) error {
	c.r.Reset(msg)
	cr := csv.NewReader(&c.r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	rec, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return errors.New("empty message: want a CSV record")
	}
	if err != nil {
		return fmt.Errorf("reading CSV record: %w", err)
	}
	if len(rec) != schema.NumFields() {
		return fmt.Errorf("CSV record has %d fields, want %d (%s)", len(rec), schema.NumFields(), strings.Join(fieldNames(schema), ", "))
	}
	if _, err := cr.Read(); !errors.Is(err, io.EOF) {
		return errors.New("message holds more than one CSV record")
	}
	for i, s := range rec {
		if !csvValue(bb.kindOf(bb.slotOf[i]), s, &bb.vals[bb.slotOf[i]]) {
			return fmt.Errorf("column %q: cannot read %q as %s", schema.Field(i).Name, s, types.Type{Kind: bb.kindOf(bb.slotOf[i])})
		}
	}
	return nil
}

func fieldNames(s *arrow.Schema) []string {
	out := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		out[i] = f.Name
	}
	return out
}

// InferMessageSchema derives a schema from sample payloads of format: for
// JSON the fields of the sampled objects in first-seen order, typed as a
// JSONL file's would be (malformed samples are ignored unless all are);
// for raw, RawSchema. CSV carries no names, so its columns must be
// declared.
func InferMessageSchema(format string, samples [][]byte) (*arrow.Schema, error) {
	switch strings.ToLower(format) {
	case MessageJSON:
		var inf jsonInference
		for i, s := range samples {
			inf.add(s, "message", int64(i+1))
		}
		return inf.schema()
	case MessageRaw:
		return RawSchema, nil
	case MessageCSV:
		return nil, errors.New("inferring schema: CSV messages carry no column names; declare the columns")
	}
	return nil, fmt.Errorf("inferring schema: unknown format %q (have %s)", format, strings.Join(MessageFormats, ", "))
}

// ParseColumns parses a column list such as "id BIGINT, amount DOUBLE,
// payload JSON" into a schema (the `schema` option of the broker
// connectors, for sources whose payloads cannot be sampled).
func ParseColumns(s string) (*arrow.Schema, error) {
	var fields []arrow.Field
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		words := strings.Fields(part)
		if len(words) < 2 {
			return nil, fmt.Errorf("parsing columns %q: %q: want NAME TYPE", s, strings.TrimSpace(part))
		}
		name := strings.Trim(words[0], `"`)
		t, ok := types.Parse(strings.Join(words[1:], " "))
		if !ok {
			return nil, fmt.Errorf("parsing columns %q: column %s: unknown type %q", s, name, strings.Join(words[1:], " "))
		}
		if seen[strings.ToLower(name)] {
			return nil, fmt.Errorf("parsing columns %q: column %s declared twice", s, name)
		}
		seen[strings.ToLower(name)] = true
		fields = append(fields, newField(name, t.Kind))
	}
	return arrow.NewSchema(fields, nil), nil
}
