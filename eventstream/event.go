package eventstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/streamsql/streamsql/planner/types"
)

// Event is one committed event as subscribers see it.
type Event struct {
	Topic    string
	ID       string    // ingest id: sortable, monotonic per topic
	IngestTS time.Time // when the server accepted it
	// Frame is the event object with _id, _ingest_ts and topic added: the
	// JSON text a WebSocket subscriber receives. Shared: do not modify.
	Frame []byte
}

// event is an event held in the hot tier. Immutable once committed.
type event struct {
	seq      uint64 // position in its topic, from 1, gap-free
	id       string
	ingestNS int64
	eventUS  int64  // event time, µs since the epoch
	raw      []byte // the event object, compacted
	frame    []byte
	fields   []any // declared columns' values, nil for NULL
}

// formatID makes an ingest id: zero-padded so ids sort as text in ingest
// order (ingest times are strictly increasing per topic).
func formatID(ingestNS int64, seq uint64) string {
	return fmt.Sprintf("%019d-%010d", ingestNS, seq)
}

// parseID reads an ingest id back.
func parseID(id string) (ingestNS int64, seq uint64, ok bool) {
	a, b, found := strings.Cut(id, "-")
	if !found || len(a) != 19 || len(b) != 10 {
		return 0, 0, false
	}
	ns, err1 := strconv.ParseInt(a, 10, 64)
	s, err2 := strconv.ParseUint(b, 10, 64)
	return ns, s, err1 == nil && err2 == nil
}

// buildFrame prepends the _id, _ingest_ts and topic fields to a compacted
// JSON object.
func buildFrame(topic string, ev *event) []byte {
	var b bytes.Buffer
	b.Grow(len(ev.raw) + len(topic) + 96)
	b.WriteString(`{"_id":"`)
	b.WriteString(ev.id)
	b.WriteString(`","_ingest_ts":"`)
	b.WriteString(time.Unix(0, ev.ingestNS).UTC().Format(time.RFC3339Nano))
	b.WriteString(`","topic":`)
	t, _ := json.Marshal(topic) // cannot fail for a string
	b.Write(t)
	if len(ev.raw) > 2 { // not "{}"
		b.WriteByte(',')
	}
	b.Write(ev.raw[1:])
	return b.Bytes()
}

// RequestError is a client mistake in an ingest request: Status is the
// HTTP status to answer with (400, 413).
type RequestError struct {
	Status int
	Msg    string
}

func (e *RequestError) Error() string { return e.Msg }

func badRequest(format string, args ...any) error {
	return &RequestError{Status: 400, Msg: fmt.Sprintf(format, args...)}
}

// lineCol turns a byte offset of body into 1-based line and column.
func lineCol(body []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(body)))
	before := body[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// splitEvents reads an ingest body: one JSON object, an array of objects,
// or objects one after another (JSONL). Each is returned compacted. Any
// malformed input fails the whole body with its position.
func splitEvents(body []byte, maxEvent int64) ([][]byte, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, badRequest("empty body: want a JSON object, an array of objects or JSONL")
	}
	var values []json.RawMessage
	if trimmed[0] == '[' {
		if err := json.Unmarshal(body, &values); err != nil {
			return nil, jsonError(body, err, 0)
		}
	} else {
		dec := json.NewDecoder(bytes.NewReader(body))
		for {
			var v json.RawMessage
			err := dec.Decode(&v)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, jsonError(body, err, dec.InputOffset())
			}
			values = append(values, v)
		}
	}
	out := make([][]byte, 0, len(values))
	for i, v := range values {
		if int64(len(v)) > maxEvent {
			return nil, &RequestError{Status: 413, Msg: fmt.Sprintf("event %d is %d bytes, over the %d-byte limit", i+1, len(v), maxEvent)}
		}
		if len(v) == 0 || v[0] != '{' {
			return nil, badRequest("event %d is not a JSON object", i+1)
		}
		var c bytes.Buffer
		if err := json.Compact(&c, v); err != nil {
			return nil, badRequest("event %d: %v", i+1, err)
		}
		out = append(out, c.Bytes())
	}
	return out, nil
}

// jsonError reports a decoding error with its position in body.
func jsonError(body []byte, err error, fallback int64) error {
	off := fallback
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
		err = errors.New("want objects")
	case errors.Is(err, io.ErrUnexpectedEOF):
		off = int64(len(body))
	}
	line, col := lineCol(body, off)
	return badRequest("malformed JSON at line %d, column %d (byte %d): %v; nothing was accepted", line, col, off, err)
}

// topicCodec turns event objects into what the hot tier stores: the event
// time and the declared columns.
type topicCodec struct {
	timeField string
	fields    []FieldDef
}

// decode fills ev's event time and declared values from its raw object;
// ingestUS stands in for a missing or unreadable event time.
func (c *topicCodec) decode(ev *event, ingestUS int64) error {
	ev.eventUS = ingestUS
	if c.timeField == "" && len(c.fields) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(ev.raw, &obj); err != nil {
		return badRequest("%v", err)
	}
	if v, ok := obj[c.timeField]; ok {
		if us, ok := eventTime(v); ok {
			ev.eventUS = us
		}
	}
	if len(c.fields) > 0 {
		ev.fields = make([]any, len(c.fields))
		for i, f := range c.fields {
			v, err := fieldValue(obj[f.Name], f.Type)
			if err != nil {
				return badRequest("field %q: %v", f.Name, err)
			}
			ev.fields[i] = v
		}
	}
	return nil
}

// eventTime reads RFC 3339 text or epoch milliseconds as µs.
func eventTime(v json.RawMessage) (int64, bool) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		us, err := types.ParseTimestamp(s)
		return us, err == nil
	}
	var ms float64
	if json.Unmarshal(v, &ms) == nil && !math.IsInf(ms, 0) && math.Abs(ms) < 1e16 {
		return int64(ms * 1000), true
	}
	return 0, false
}

// fieldValue converts a JSON value to the Go form of a declared column
// (int32, int64, float64, string, bool, µs timestamp, date days); absent
// and null are nil.
func fieldValue(v json.RawMessage, t types.Type) (any, error) {
	if len(v) == 0 || string(v) == "null" {
		return nil, nil
	}
	want := func() error { return fmt.Errorf("want %s, got %s", t, truncate(string(v), 40)) }
	switch t.Kind {
	case types.Integer, types.Bigint:
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(string(v), 64)
			if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
				return nil, want()
			}
			n = int64(f)
		}
		if t.Kind == types.Integer {
			if n < math.MinInt32 || n > math.MaxInt32 {
				return nil, want()
			}
			return int32(n), nil
		}
		return n, nil
	case types.Double:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return nil, want()
		}
		return f, nil
	case types.Boolean:
		switch string(v) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, want()
	case types.Varchar:
		var s string
		if json.Unmarshal(v, &s) != nil {
			return string(v), nil // numbers, objects: their JSON text
		}
		return s, nil
	case types.JSON:
		return string(v), nil
	case types.Timestamp:
		if us, ok := eventTime(v); ok {
			return us, nil
		}
		return nil, want()
	case types.Date:
		var s string
		if json.Unmarshal(v, &s) == nil {
			if d, err := types.ParseDate(s); err == nil {
				return d, nil
			}
		}
		return nil, want()
	}
	return nil, fmt.Errorf("unsupported column type %s", t)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
