//go:build js || wasip1

package file

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// WebAssembly builds leave Parquet out: its reader pulls in arrow/compute
// and the Parquet codecs, megabytes the hot tier in a Durable Object does
// not use. JSONL and CSV work as everywhere.
var errNoParquet = errors.New("parquet files are not supported in WebAssembly builds")

func parquetSchema(string) (*arrow.Schema, error) { return nil, errNoParquet }

func newParquetReader(context.Context, *Table, []string, catalog.ScanRequest, *arrow.Schema, memory.Allocator, int64) catalog.BatchReader {
	return noParquetReader{}
}

func parquetRowGroups([]string) int { return 1 }

type noParquetReader struct{}

func (noParquetReader) Next(context.Context) (arrow.RecordBatch, error) { return nil, errNoParquet }
func (noParquetReader) Close() error                                    { return nil }
