package memory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/types"
)

// eventSchema is (id BIGINT, ts TIMESTAMP).
var eventSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "ts", Type: types.TimestampType.ArrowType(), Nullable: true},
}, nil)

// checkedMem is a checked allocator that must be empty when the test ends.
func checkedMem(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// events builds a batch of eventSchema with ids from..to-1 and ts = id s.
func events(mem memory.Allocator, from, to int64) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, eventSchema)
	defer b.Release()
	for id := from; id < to; id++ {
		b.Field(0).(*array.Int64Builder).Append(id)
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(id * 1_000_000))
	}
	return b.NewRecordBatch()
}

// appendEvents appends events from..to-1 to split.
func appendEvents(t *testing.T, s *Stream, mem memory.Allocator, split int, from, to int64) {
	t.Helper()
	b := events(mem, from, to)
	defer b.Release()
	if err := s.AppendTo(split, b); err != nil {
		t.Fatal(err)
	}
}

// openStream opens the stream with req and closes its readers at the end.
func openStream(t *testing.T, s catalog.Streamable, req catalog.StreamRequest) []catalog.SplitReader {
	t.Helper()
	rs, err := s.OpenStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, r := range rs {
			r.Close()
		}
	})
	return rs
}

// text renders a batch's rows as "v|v" lines and releases it.
func text(b arrow.RecordBatch) string {
	defer b.Release()
	var sb strings.Builder
	for r := 0; r < int(b.NumRows()); r++ {
		for c := 0; c < int(b.NumCols()); c++ {
			if c > 0 {
				sb.WriteByte('|')
			}
			v := expr.ScalarValue(b.Column(c), r)
			if v == nil {
				sb.WriteString("NULL")
				continue
			}
			t, _ := types.FromField(b.Schema().Field(c))
			sb.WriteString(types.FormatValue(v, t))
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

// step is one Read: its rows as text, "idle", "eof" or "error: …". Safe
// on any goroutine.
func step(t *testing.T, r catalog.SplitReader) string {
	b, err := r.Read(context.Background())
	switch {
	case errors.Is(err, catalog.ErrIdle):
		return "idle"
	case errors.Is(err, io.EOF):
		return "eof"
	case err != nil:
		return "error: " + err.Error()
	}
	if b.NumRows() == 0 {
		t.Error("empty batch")
	}
	return text(b)
}

// ids reads to io.EOF and returns the first column of every row.
func ids(t *testing.T, r catalog.SplitReader) []string {
	t.Helper()
	var out []string
	for {
		b, err := r.Read(context.Background())
		if errors.Is(err, io.EOF) {
			return out
		}
		if errors.Is(err, catalog.ErrIdle) {
			continue
		}
		if err != nil {
			t.Error(err) // may run on another goroutine: no Fatal
			return out
		}
		for i := 0; i < int(b.NumRows()); i++ {
			out = append(out, fmt.Sprint(expr.ScalarValue(b.Column(0), i)))
		}
		b.Release()
	}
}
