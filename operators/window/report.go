package window

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// Stats describes the aggregate's state.
type Stats struct {
	// LateRows counts the rows dropped as late (including rows with a
	// NULL event time, and rows of a global aggregate after the final
	// watermark).
	LateRows int64
	// OpenWindows is the number of windows (sessions) that hold state and
	// have not closed.
	OpenWindows int
	// OpenGroups is the number of (slice, group) states held: groups per
	// window for tumbling windows and hopping windows with EMIT CHANGES,
	// per pane for hopping windows emitted on close, per (key, bucket of
	// width gap) for sessions.
	OpenGroups int
	// StateBytes estimates the memory held by the state.
	StateBytes int64
}

// Stats reports the aggregate's state.
func (a *Aggregate) Stats() Stats {
	st := Stats{LateRows: a.late, StateBytes: a.StateBytes()}
	for _, start := range a.starts {
		st.OpenGroups += a.slices[start].n
	}
	switch {
	case a.spec.Kind == Session:
		st.OpenWindows = a.countSessions()
	case a.panes:
		st.OpenWindows = len(a.hopWindows(func(end int64) bool { return !a.closedAt(end, a.wm) }))
	default:
		st.OpenWindows = len(a.starts)
	}
	return st
}

// RouteLate makes sink receive the rows dropped as late, as Spec.LateSink
// (operators.LateRouter). Call it before Open.
func (a *Aggregate) RouteLate(sink func(b arrow.RecordBatch, reason string) error) {
	a.spec.LateSink = sink
}

// StateBytes estimates the memory held by the state
// (operators.StateReporter); cheaper than Stats.
func (a *Aggregate) StateBytes() int64 {
	b := a.recs.bytes()
	for _, start := range a.starts {
		b += a.slices[start].bytes()
	}
	return b
}

// LateRows counts the rows dropped as late so far
// (operators.StateReporter), as Stats().LateRows.
func (a *Aggregate) LateRows() int64 { return a.late }
