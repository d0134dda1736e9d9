//go:build !js && !wasip1

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
	set := make([]ParquetFile, len(files))
	for i, f := range files {
		set[i].Path = f
	}
	return ScanParquetFileSet(ctx, set, schema, req)
}

// ParquetFile is a file of ScanParquetFileSet.
type ParquetFile struct {
	Path string
	// Constants maps table column ordinals to the value every row of the
	// file holds (an Iceberg identity partition's value; nil for NULL):
	// those columns are filled in rather than read. Values take the Go
	// type of a logical literal: string, int64 (BIGINT, TIMESTAMP µs),
	// int32 (INTEGER, DATE days), float64, bool.
	Constants map[int]any
	// FieldIDs, when set, holds the Iceberg field id of each table column
	// (0: the column has none): a file whose columns carry Parquet field
	// ids is then read by id, not by name, so a renamed column still finds
	// its data and a column dropped and added again under the same name
	// reads NULL from the files written before. A file without field ids
	// is matched by name.
	FieldIDs []int
}

// ScanParquetFileSet is ScanParquetFiles over files some of whose columns
// are known constants.
func ScanParquetFileSet(ctx context.Context, set []ParquetFile, schema *arrow.Schema, req catalog.ScanRequest) (catalog.BatchReader, error) {
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
	limit := req.RowLimit()
	t := &Table{path: "parquet files", format: FormatParquet, schema: native}
	files := make([]string, len(set))
	consts := make([]map[int]any, len(set))
	ids := make([][]int, len(set))
	for i, f := range set {
		files[i], consts[i], ids[i] = f.Path, f.Constants, f.FieldIDs
		if f.FieldIDs != nil && len(f.FieldIDs) != native.NumFields() {
			return nil, fmt.Errorf("scanning parquet file %s: %d field ids for %d columns", f.Path, len(f.FieldIDs), native.NumFields())
		}
		for c, v := range f.Constants {
			if c < 0 || c >= native.NumFields() {
				return nil, fmt.Errorf("scanning parquet file %s: constant for column ordinal %d out of range", f.Path, c)
			}
			switch v.(type) {
			case nil, string, int64, int32, float64, bool:
			default:
				return nil, fmt.Errorf("scanning parquet file %s: constant %v of column %q is a %T, want a literal's Go type", f.Path, v, native.Field(c).Name, v)
			}
		}
	}
	r := newParquetReader(ctx, t, files, req, projectSchema(native, req.Columns), mem, limit)
	r.consts, r.fieldIDs = consts, ids
	return r, nil
}

// ConvertColumn returns arr in the native Arrow type to, as the Parquet
// reader converts each column it reads (arr itself, retained, when it
// already has that type): for readers of Parquet-backed tables that decode
// some files by other means (Iceberg files with delete files).
func ConvertColumn(mem memory.Allocator, arr arrow.Array, to arrow.DataType) (arrow.Array, error) {
	return convertArray(mem, arr, to)
}
