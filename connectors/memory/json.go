package memory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// AppendJSON adds rows given as JSON objects, one per line, to split 0;
// see AppendJSONTo.
func (s *Stream) AppendJSON(lines ...string) error { return s.AppendJSONTo(0, lines...) }

// AppendJSONTo adds rows given as JSON objects to a split, as one batch.
// Keys match columns by name (exactly, then ignoring case); missing keys
// and null are NULL. Values are read as the JSONL file connector reads
// them: timestamps and dates as strings ("2026-03-01 00:00:01",
// RFC 3339) or, for timestamps, integers of µs since the epoch.
func (s *Stream) AppendJSONTo(split int, lines ...string) error {
	b, err := decodeJSON(s.mem, s.schema, lines)
	if err != nil {
		return fmt.Errorf("appending to memory stream: %w", err)
	}
	defer b.Release()
	return s.AppendTo(split, b)
}

// decodeJSON builds one batch of schema from JSON object lines.
func decodeJSON(mem memory.Allocator, schema *arrow.Schema, lines []string) (arrow.RecordBatch, error) {
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	kinds := make([]types.Kind, schema.NumFields())
	names := make([]string, schema.NumFields())
	for i, f := range schema.Fields() {
		t, err := types.FromField(f)
		if err != nil || !types.IsNative(f.Type) {
			return nil, fmt.Errorf("column %s: JSON rows fill only the native column types, not %s", f.Name, f.Type)
		}
		kinds[i], names[i] = t.Kind, f.Name
	}
	for n, line := range lines {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		vals := make([]json.RawMessage, len(names))
		for k, v := range obj {
			if i := lookup(names, k); i >= 0 {
				vals[i] = v
			}
		}
		for i, v := range vals {
			if err := appendValue(rb.Field(i), kinds[i], v); err != nil {
				return nil, fmt.Errorf("line %d: column %q: %w", n+1, names[i], err)
			}
		}
	}
	return rb.NewRecordBatch(), nil
}

// lookup finds a column by name, exactly and then ignoring case; -1 if
// absent.
func lookup(names []string, key string) int {
	for i, n := range names {
		if n == key {
			return i
		}
	}
	for i, n := range names {
		if strings.EqualFold(n, key) {
			return i
		}
	}
	return -1
}

// appendValue appends one JSON value (nil: absent) to a column of kind k.
func appendValue(b array.Builder, k types.Kind, v json.RawMessage) error {
	if len(v) == 0 || string(v) == "null" {
		b.AppendNull()
		return nil
	}
	var str string
	isStr := v[0] == '"'
	if isStr {
		if err := json.Unmarshal(v, &str); err != nil {
			return err
		}
	}
	bad := func() error { return fmt.Errorf("cannot read %s as %s", v, types.Type{Kind: k}) }
	switch k {
	case types.Varchar:
		if !isStr {
			str = string(v)
		}
		b.(*array.StringBuilder).Append(str)
	case types.JSON:
		var c bytes.Buffer
		if err := json.Compact(&c, v); err != nil {
			return err
		}
		b.(*array.StringBuilder).Append(c.String())
	case types.Boolean:
		var x bool
		if err := json.Unmarshal(v, &x); err != nil {
			return bad()
		}
		b.(*array.BooleanBuilder).Append(x)
	case types.Bigint, types.Integer:
		var x int64
		if err := json.Unmarshal(v, &x); err != nil || (k == types.Integer && x != int64(int32(x))) {
			return bad()
		}
		if k == types.Integer {
			b.(*array.Int32Builder).Append(int32(x))
		} else {
			b.(*array.Int64Builder).Append(x)
		}
	case types.Double:
		var x float64
		if err := json.Unmarshal(v, &x); err != nil {
			return bad()
		}
		b.(*array.Float64Builder).Append(x)
	case types.Timestamp:
		var us int64
		var err error
		if isStr {
			us, err = types.ParseTimestamp(str)
		} else {
			err = json.Unmarshal(v, &us)
		}
		if err != nil {
			return bad()
		}
		b.(*array.TimestampBuilder).Append(arrow.Timestamp(us))
	case types.Date:
		if !isStr {
			return bad()
		}
		d, err := types.ParseDate(str)
		if err != nil {
			return bad()
		}
		b.(*array.Date32Builder).Append(arrow.Date32(d))
	case types.Interval:
		if !isStr {
			return bad()
		}
		iv, err := types.ParseInterval(str, "")
		if err != nil {
			return bad()
		}
		b.(*array.MonthDayNanoIntervalBuilder).Append(arrow.MonthDayNanoInterval{Months: iv.Months, Days: iv.Days, Nanoseconds: iv.Micros * 1000})
	default:
		return bad()
	}
	return nil
}
