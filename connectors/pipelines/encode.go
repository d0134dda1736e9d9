package pipelines

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/connectors/file"
	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/render"
)

// IdempotencyKey is the column every row sent carries: a replay after a
// crash sends the same row under the same key.
const IdempotencyKey = "_idempotency_key"

// encoder turns rows into the JSON objects sent.
type encoder struct {
	names   []string
	types   []types.Type
	raw     int   // column of format raw's payload, -1 for json
	key     int   // key_column, -1 if none
	idem    []int // idempotency_columns
	hasIdem bool  // the query computes _idempotency_key itself
	lanes   int
	buf     []byte
}

func newEncoder(cfg *config, schema *arrow.Schema) (*encoder, error) {
	e := &encoder{raw: -1, key: -1, lanes: max(cfg.concurrency, 1),
		names: make([]string, schema.NumFields()), types: make([]types.Type, schema.NumFields())}
	for i, f := range schema.Fields() {
		e.names[i] = f.Name
		e.types[i], _ = types.FromField(f) // unknown types are sent as text
		if f.Name == IdempotencyKey {
			e.hasIdem = true
		}
	}
	col := func(name, what string) (int, error) {
		if idx := schema.FieldIndices(name); len(idx) == 1 {
			return idx[0], nil
		}
		return -1, fmt.Errorf("%s %q is not a column of the query (have %v)", what, name, e.names)
	}
	var err error
	if cfg.keyColumn != "" {
		if e.key, err = col(cfg.keyColumn, "key_column"); err != nil {
			return nil, err
		}
	}
	for _, name := range cfg.idemColumns {
		i, err := col(name, "idempotency column")
		if err != nil {
			return nil, err
		}
		e.idem = append(e.idem, i)
	}
	if cfg.format == file.MessageRaw {
		if e.raw, err = col("value", "format raw: column"); err != nil {
			return nil, err
		}
		if e.types[e.raw].Kind != types.Varchar {
			return nil, fmt.Errorf("format raw: column value is %s, want VARCHAR", e.types[e.raw])
		}
	}
	return e, nil
}

// encode returns row r of b as a JSON object carrying its idempotency key
// (ordinalKey unless idempotency columns give one), and the lane (by
// key_column) it is sent in. An error means the row cannot be sent (raw
// payloads that are not JSON objects): the caller dead-letters it.
func (e *encoder) encode(b arrow.RecordBatch, r int, ordinalKey string) ([]byte, int, error) {
	var obj []byte
	if e.raw >= 0 {
		v, _ := expr.ScalarValue(b.Column(e.raw), r).(string)
		trimmed := bytes.TrimSpace([]byte(v))
		if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
			return []byte(v), 0, fmt.Errorf("format raw: the value is not a JSON object")
		}
		obj = trimmed
	} else {
		e.buf = render.AppendJSONRow(e.buf[:0], e.names, e.types, b, r)
		obj = e.buf
	}
	out := make([]byte, 0, len(obj)+len(ordinalKey)+24)
	if e.hasIdem && e.raw < 0 {
		out = append(out, obj...)
	} else {
		key := ordinalKey
		if len(e.idem) > 0 {
			key = e.hashKey(b, r)
		}
		out = append(out, `{"`+IdempotencyKey+`":`...)
		quoted, _ := json.Marshal(key) // cannot fail for a string
		out = append(out, quoted...)
		if rest := bytes.TrimSpace(obj[1:]); len(rest) > 0 && rest[0] != '}' {
			out = append(out, ',')
		}
		out = append(out, obj[1:]...)
	}
	return out, e.lane(b, r), nil
}

// hashKey is the hex SHA-256 (128 bits) of the idempotency columns'
// values as JSON: the same values give the same key in any job.
func (e *encoder) hashKey(b arrow.RecordBatch, r int) string {
	h := sha256.New()
	var buf []byte
	for _, c := range e.idem {
		buf = render.AppendJSONValue(buf[:0], expr.ScalarValue(b.Column(c), r), e.types[c])
		h.Write(buf)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// lane maps the row's key_column value to one of the sender's lanes.
func (e *encoder) lane(b arrow.RecordBatch, r int) int {
	if e.key < 0 || e.lanes == 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write(render.AppendJSONValue(nil, expr.ScalarValue(b.Column(e.key), r), e.types[e.key]))
	return int(h.Sum32() % uint32(e.lanes))
}
