package file

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
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

// newRawDecoder returns a raw decoder on a checked allocator that must
// be empty when the test ends.
func newRawDecoder(t *testing.T) (*MessageDecoder, memory.Allocator) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	d, err := NewMessageDecoder(MessageRaw, RawSchema, mem)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Release)
	return d, mem
}

func TestMessageDecoderRawAndCSV(t *testing.T) {
	raw, mem := newRawDecoder(t)
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

// Batches of growing, shrinking and empty payloads keep their values,
// and batches still held when the decoder is released stay valid and are
// freed.
func TestMessageDecoderRawBatches(t *testing.T) {
	d, _ := newRawDecoder(t)
	if d.Flush() != nil {
		t.Error("Flush without rows returned a batch")
	}
	var held []arrow.RecordBatch
	for i, rows := range []int{1, 300, 5000, 40, 5000, 3, 0, 7000} {
		want := make([]string, rows)
		for r := range want {
			want[r] = strings.Repeat(fmt.Sprint(i), (r*7+i)%50) // some empty
			if err := d.Decode([]byte(want[r])); err != nil {
				t.Fatal(err)
			}
		}
		if d.Rows() != rows {
			t.Fatalf("batch %d: Rows = %d, want %d", i, d.Rows(), rows)
		}
		b := d.Flush()
		if rows == 0 {
			if b != nil {
				t.Fatalf("batch %d: empty Flush returned %d rows", i, b.NumRows())
			}
			continue
		}
		col := b.Column(0).(*array.String)
		if col.Len() != rows || col.NullN() != 0 {
			t.Fatalf("batch %d: %d rows, %d nulls, want %d rows", i, col.Len(), col.NullN(), rows)
		}
		for r, w := range want {
			if got := col.Value(r); got != w {
				t.Fatalf("batch %d row %d = %q, want %q", i, r, got, w)
			}
		}
		if i%3 == 0 {
			held = append(held, b) // released after the decoder
		} else {
			b.Release()
		}
	}
	d.Release()
	d.Release()
	for _, b := range held {
		if n := b.Column(0).(*array.String).ValueLen(0); n < 0 {
			t.Errorf("held batch unreadable")
		}
		b.Release()
	}
}

// A VARCHAR column's first NULL can come after many rows, and its
// validity bitmap grows with the column.
func TestMessageDecoderJSONStringNulls(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema, _ := ParseColumns("s VARCHAR")
	d, err := NewMessageDecoder(MessageJSON, schema, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	for _, firstNull := range []int{0, 700, -1} {
		var want []string
		for i := range 3000 {
			null := firstNull >= 0 && i >= firstNull && i%5 != 1
			msg, w := fmt.Sprintf(`{"s":"v%d"}`, i), fmt.Sprintf("v%d", i)
			if null {
				msg, w = `{"s":null}`, "(null)"
			}
			if err := d.Decode([]byte(msg)); err != nil {
				t.Fatal(err)
			}
			want = append(want, w)
		}
		b := d.Flush()
		col := b.Column(0).(*array.String)
		for i, w := range want {
			got := "(null)"
			if col.IsValid(i) {
				got = col.Value(i)
			}
			if got != w {
				t.Fatalf("first NULL at %d: row %d = %q, want %q", firstNull, i, got, w)
			}
		}
		b.Release()
	}
}
