package file

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

func TestSinkTableFactory(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	dir := t.TempDir()
	tbl, err := catalog.OpenConnector("file", map[string]string{"path": dir + "/out.jsonl", "type": "sink"}, schema)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tbl.(catalog.SinkTable); !ok {
		t.Fatalf("%T is not a sink table", tbl)
	}
	if _, err := tbl.Scan(context.Background(), catalog.ScanRequest{}); err == nil || !strings.Contains(err.Error(), "is a sink table") {
		t.Errorf("scanning a sink: %v", err)
	}
	for _, c := range []struct {
		opts   map[string]string
		schema *arrow.Schema
		want   string
	}{
		{map[string]string{"path": dir + "/o.jsonl", "type": "sink"}, nil, "declare its columns"},
		{map[string]string{"path": dir + "/o.csv", "type": "sink", "format": "csv"}, schema, "sinks write jsonl"},
		{map[string]string{"path": dir + "/o.jsonl", "type": "both"}, schema, `type "both": want source or sink`},
	} {
		if _, err := catalog.OpenConnector("file", c.opts, c.schema); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.opts, err, c.want)
		}
	}
}

// A device (/dev/null) is written without truncating or syncing it.
func TestJSONLSinkToDevice(t *testing.T) {
	if _, err := os.Stat(os.DevNull); err != nil {
		t.Skip("no null device")
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	ctx := context.Background()
	s, err := NewJSONLSink(os.DevNull).OpenSink(ctx, schema)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PreCommit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
