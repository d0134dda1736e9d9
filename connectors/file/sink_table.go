package file

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

// SinkTable is a JSONL file a streaming INSERT writes to: CREATE TABLE …
// (cols…) WITH (connector = 'file', type = 'sink', path = '…'). It has the
// declared schema but cannot be scanned (the file may not exist yet); read
// the output back with a source table.
type SinkTable struct {
	path   string
	schema *arrow.Schema
	sink   *JSONLSink
}

var (
	_ catalog.Table     = (*SinkTable)(nil)
	_ catalog.SinkTable = (*SinkTable)(nil)
)

// NewSinkTable returns a sink table writing JSONL to path ("-" for
// standard output is not offered here: a pipeline names its files).
func NewSinkTable(path string, schema *arrow.Schema) (*SinkTable, error) {
	if schema == nil || schema.NumFields() == 0 {
		return nil, fmt.Errorf("creating file sink %s: declare its columns", path)
	}
	ns, err := nativeSchema(schema)
	if err != nil {
		return nil, fmt.Errorf("creating file sink %s: %w", path, err)
	}
	return &SinkTable{path: path, schema: ns, sink: NewJSONLSink(path)}, nil
}

// Schema implements catalog.Table.
func (t *SinkTable) Schema() *arrow.Schema { return t.schema }

// Scan implements catalog.Table: a sink cannot be read.
func (t *SinkTable) Scan(context.Context, catalog.ScanRequest) (catalog.BatchReader, error) {
	return nil, fmt.Errorf("scanning %s: it is a sink table (type = 'sink'); read the file through a source table", t.path)
}

// OpenSink implements catalog.SinkTable.
func (t *SinkTable) OpenSink(ctx context.Context, schema *arrow.Schema) (catalog.Sink, error) {
	return t.sink.OpenSink(ctx, schema)
}

// Describe implements catalog.Describer.
func (t *SinkTable) Describe() string { return "file sink jsonl " + t.path }
