package file

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// ScanParquetFiles reads exactly the given local Parquet files, in order, as
// rows of schema: the reader of Parquet tables, for connectors that plan
// their own file lists (Iceberg). Columns are matched by name (exactly, then
// case-insensitively); a column a file lacks reads as NULL; values are
// converted to schema's native types. Row groups are pruned with req.Filters
// and req.Columns are projected; req.Partition/Partitions split by row
// group. The reader implements catalog.ScanStats ("files", "row_groups",
// "row_groups_pruned") and owns nothing the caller passed in.
func ScanParquetFiles(ctx context.Context, files []string, schema *arrow.Schema, req catalog.ScanRequest) (catalog.BatchReader, error) {
	native, err := nativeSchema(schema)
	if err != nil {
		return nil, fmt.Errorf("scanning parquet files: %w", err)
	}
	for _, c := range req.Columns {
		if c < 0 || c >= native.NumFields() {
			return nil, fmt.Errorf("scanning parquet files: column ordinal %d out of range (table has %d columns)", c, native.NumFields())
		}
	}
	mem := req.Alloc
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	limit := req.Limit
	if len(req.Filters) > 0 || limit <= 0 {
		limit = -1
	}
	t := &Table{path: "parquet files", format: FormatParquet, schema: native}
	return newParquetReader(ctx, t, files, req, projectSchema(native, req.Columns), mem, limit), nil
}
