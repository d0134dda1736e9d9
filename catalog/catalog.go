// Package catalog defines what a table is to the planner and the executor:
// a schema and a way to scan it. Implementations live with their storage
// (files in connectors/file, Iceberg in connectors/iceberg, the hot tier in
// eventstream); this package holds the contracts, an in-memory catalog and
// the registry of connector factories that CREATE TABLE … WITH (connector=…)
// resolves through.
package catalog

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ErrNotFound is returned (wrapped) when a table or view does not exist.
var ErrNotFound = errors.New("not found")

// Table is a scannable relation. Its schema uses streamsql's native Arrow
// forms (see planner/types: int32, int64, float64, string, bool,
// timestamp[us, UTC], date32, month_day_nano_interval).
//
// Implementations must be safe for concurrent Scan calls.
type Table interface {
	Schema() *arrow.Schema
	// Scan starts reading. The reader yields batches holding exactly the
	// requested columns, in request order. Filters and Limit are hints: a
	// table may skip data it can prove fails a filter (file statistics,
	// partitions) and stop after Limit rows, but the caller re-applies both.
	Scan(ctx context.Context, req ScanRequest) (BatchReader, error)
}

// ScanRequest says what a scan must produce.
type ScanRequest struct {
	Columns []int       // table column ordinals, in output order
	Filters []Predicate // conjuncts; rows failing any may be skipped
	Limit   int64       // -1 for no limit
	Alloc   memory.Allocator
	// Partition and Partitions split a scan for parallel readers: with
	// Partitions > 1 the reader yields only its share, Partition in
	// [0, Partitions), and the shares of all partitions together are the
	// whole table, each row exactly once. Zero Partitions means the whole
	// table. Only tables implementing Partitioned are asked for shares.
	Partition, Partitions int
	// TopN, when set, says the consumer keeps only the rows that sort
	// first by one column: a table may leave out rows it can tell cannot
	// be among them (a tiered table skips its cold side when the hot one
	// already holds Limit newer rows). Set only when nothing between the
	// scan and that sort drops rows; the caller still sorts.
	TopN *TopNHint
}

// RowLimit is the row count a reader may stop after, -1 for none: Limit
// when it is positive and the scan has no filters (a filtered scan's rows
// are not yet the query's; a zero Limit counts as none, so a forgotten -1
// loses no rows).
func (r ScanRequest) RowLimit() int64 {
	if len(r.Filters) > 0 || r.Limit <= 0 {
		return -1
	}
	return r.Limit
}

// TopNHint is ScanRequest.TopN: the Limit rows with the largest (Desc) or
// smallest values of table column Column, NULLs first or last.
type TopNHint struct {
	Column     int
	Desc       bool
	NullsFirst bool
	Limit      int64
}

// ColumnBounds is implemented by tables that know a column's value range
// from metadata (Iceberg file statistics) without reading data.
type ColumnBounds interface {
	// Bounds returns the smallest and largest non-NULL value of table
	// column col (in logical.Literal's Go types), whether it may hold
	// NULLs, and ok=false when the metadata cannot tell (then the rest is
	// meaningless). An empty table reports ok with nil bounds.
	Bounds(ctx context.Context, col int) (lo, hi any, nulls, ok bool, err error)
}

// Partitioned is implemented by tables that can be scanned in parallel
// shares (files, row groups). Partitions is the most useful number of
// shares, e.g. the number of row groups; 1 means no parallelism pays.
type Partitioned interface {
	Partitions() int
}

// Predicate is a simple comparison between a table column and a constant,
// the form storage can prune with. Value uses the Go representation of
// logical.Literal (int64 µs for TIMESTAMP, int32 days for DATE, …).
type Predicate struct {
	Column int    // table ordinal
	Op     string // "=", "<>", "<", "<=", ">", ">=", "is_null", "is_not_null"
	Value  any
}

// BatchReader yields the batches of one scan.
//
// Next returns io.EOF after the last batch. Each returned batch is owned by
// the caller, who must Release it. Next is not safe for concurrent use.
// Close releases resources; it may be called before EOF and more than once.
type BatchReader interface {
	Next(ctx context.Context) (arrow.RecordBatch, error)
	Close() error
}

// ScanStats is optionally implemented by readers that can say how much
// storage they pruned; EXPLAIN ANALYZE prints it.
type ScanStats interface {
	Stats() map[string]int64
}

// Describer is optionally implemented by tables to say where they come from
// (for `\d name` and EXPLAIN), e.g. "file jsonl testdata/events.jsonl".
type Describer interface {
	Describe() string
}
