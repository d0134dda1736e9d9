package operators

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

// Stage is one node of a physical plan: an Operator fed by Inputs, or a
// leaf (a bounded Source or, in a streaming plan, a Stream). The planner
// builds the tree; exec runs it and fills Stats.
type Stage struct {
	Name   string // short label for EXPLAIN ANALYZE, e.g. "HashAggregate"
	Op     Operator
	Source Source      // set instead of Op for bounded leaves
	Stream *StreamScan // set instead of Op for streaming leaves
	Inputs []*Stage
	// Parallel runs the inputs concurrently, each on its own goroutine;
	// their batches still reach Op input by input, in index order, so
	// results do not depend on scheduling.
	Parallel bool
	// KeyCols, in a streaming plan, lets exec run the stage as several
	// instances, each owning the rows whose key hashes to it: KeyCols[i]
	// are the key columns of input i (all inputs hash the same key types).
	// NewOp makes each instance (Op is then unused). Stages without
	// KeyCols run as one instance.
	KeyCols [][]int
	NewOp   func() (Operator, error)
	Stats   StageStats
}

// StreamScan is a streaming leaf: the splits of a catalog.Streamable table
// with its event time and watermark definition.
type StreamScan struct {
	Name    string // table name, for metrics and EXPLAIN
	Table   catalog.Streamable
	Columns []int         // table ordinals read, in output order
	Schema  *arrow.Schema // of the emitted batches
	// TimeCol is the column of Schema holding the event time (TIMESTAMP),
	// or -1 when the stream has none (no watermarks until end of input).
	TimeCol int
	// Delay is the watermark delay in µs: a split's watermark is the
	// largest event time it has read minus Delay.
	Delay int64
	// IdleTimeout, when positive, excludes a split that has read nothing
	// for that long from the minimum watermark until it reads again.
	IdleTimeout time.Duration
}

// StageStats is what exec measured for a stage.
type StageStats struct {
	Rows    int64         // rows emitted
	Batches int64         // batches emitted
	Time    time.Duration // time spent in this stage, excluding downstream work
	// Extra holds source-specific counters (e.g. row groups pruned).
	Extra map[string]int64
}
