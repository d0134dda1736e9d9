package operators

import "time"

// Stage is one node of a physical plan: an Operator fed by Inputs, or a
// leaf Source. The planner builds the tree; exec runs it and fills Stats.
type Stage struct {
	Name   string // short label for EXPLAIN ANALYZE, e.g. "HashAggregate"
	Op     Operator
	Source Source // set instead of Op for leaves
	Inputs []*Stage
	// Parallel runs the inputs concurrently, each on its own goroutine;
	// their batches still reach Op input by input, in index order, so
	// results do not depend on scheduling.
	Parallel bool
	Stats    StageStats
}

// StageStats is what exec measured for a stage.
type StageStats struct {
	Rows    int64         // rows emitted
	Batches int64         // batches emitted
	Time    time.Duration // time spent in this stage, excluding downstream work
	// Extra holds source-specific counters (e.g. row groups pruned).
	Extra map[string]int64
}
