package file

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestMessageDecoderJSONSkipsBadMessages(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema, err := ParseColumns("id BIGINT, name VARCHAR, ts TIMESTAMP, ok BOOLEAN")
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewMessageDecoder(MessageJSON, schema, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	msgs := []string{
		`{"id": 1, "name": "a", "ts": "2026-01-01T00:00:00Z", "ok": true}`,
		`{"id": "x"}`,
		`not json`,
		``,
		`{"ID": 2, "extra": [1,2]}`,
	}
	var bad []string
	for _, m := range msgs {
		if err := d.Decode([]byte(m)); err != nil {
			bad = append(bad, err.Error())
		}
	}
	if len(bad) != 3 {
		t.Fatalf("want 3 rejected messages, got %d: %v", len(bad), bad)
	}
	b := d.Flush()
	defer b.Release()
	if b.NumRows() != 2 {
		t.Fatalf("rows = %d, want 2", b.NumRows())
	}
	if got := b.Column(0).String(); got != "[1 2]" {
		t.Errorf("id = %s", got)
	}
	if got := b.Column(1).String(); got != `["a" (null)]` {
		t.Errorf("name = %s", got)
	}
	if d.Flush() != nil {
		t.Error("second Flush returned rows")
	}
}

func TestMessageDecoderRawAndCSV(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	raw, err := NewMessageDecoder(MessageRaw, RawSchema, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Release()
	if err := raw.Decode([]byte("hello, world")); err != nil {
		t.Fatal(err)
	}
	b := raw.Flush()
	if got := b.Column(0).String(); got != `["hello, world"]` {
		t.Errorf("raw = %s", got)
	}
	b.Release()

	schema, _ := ParseColumns("id BIGINT, amount DOUBLE")
	c, err := NewMessageDecoder(MessageCSV, schema, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	for _, m := range []string{"1,2.5", "2", "x,1", "3,\n4,5", "5,"} {
		_ = c.Decode([]byte(m))
	}
	b = c.Flush()
	defer b.Release()
	if got := b.Column(0).String() + b.Column(1).String(); got != "[1 5][2.5 (null)]" {
		t.Errorf("csv = %s", got)
	}
}

func TestMessageSchemaErrors(t *testing.T) {
	mem := memory.NewGoAllocator()
	if _, err := NewMessageDecoder("avro", RawSchema, mem); err == nil || !strings.Contains(err.Error(), "json, raw, csv") {
		t.Errorf("unknown format: %v", err)
	}
	s, _ := ParseColumns("id BIGINT")
	if _, err := NewMessageDecoder(MessageRaw, s, mem); err == nil {
		t.Error("raw without a value column accepted")
	}
	for _, bad := range []string{"id", "id FOO", "a INT, a BIGINT"} {
		if _, err := ParseColumns(bad); err == nil {
			t.Errorf("ParseColumns(%q) accepted", bad)
		}
	}
	got, err := InferMessageSchema(MessageJSON, [][]byte{[]byte(`{"a":1,"b":"x"}`), []byte(`{"a":2.5}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != "schema:\n  fields: 2\n    - a: type=float64, nullable\n    - b: type=utf8, nullable" {
		t.Errorf("inferred %s", got)
	}
	if _, err := InferMessageSchema(MessageCSV, nil); err == nil {
		t.Error("CSV inference accepted")
	}
}
