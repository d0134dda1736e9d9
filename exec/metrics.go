package exec

import (
	"time"

	"github.com/streamsql/streamsql/operators"
)

// Metrics is a snapshot of a job's counters. Counts carry over a resume:
// after one they equal those of an uninterrupted run.
type Metrics struct {
	EventsIn     int64 // rows read from splits
	EventsOut    int64 // rows written to the sink
	Late         int64 // rows dropped as late (StateReporter.LateRows)
	DeadLettered int64 // malformed inputs and late rows sent to the DeadLetter
	StateBytes   int64 // state held by the operators (StateReporter.StateBytes)
	Checkpoints  int64 // checkpoints completed by this process (the final one included)
	// Watermark is the root stage's input watermark: math.MinInt64 before
	// the first, operators.WatermarkEnd at the end of input.
	Watermark int64
	// WatermarkLag is Now minus Watermark; 0 before the first watermark
	// and at the end.
	WatermarkLag time.Duration
	Splits       []SplitMetrics
	Stages       []StageMetrics
}

// SplitMetrics describes one split.
type SplitMetrics struct {
	Stream, ID string
	Rows       int64
	Watermark  int64
	Idle       bool
	Ended      bool
}

// StageMetrics describes one operator instance.
type StageMetrics struct {
	Stage        string // the stage's name
	Key          string // its path in the plan and instance, e.g. "r.0#1"
	RowsIn       int64
	RowsOut      int64
	StateBytes   int64
	Late         int64
	DeadLettered int64
	Watermark    int64 // input watermark
}

// Metrics returns the job's counters; it is safe to call at any time,
// also while Run runs.
func (j *Job) Metrics() Metrics {
	m := Metrics{Checkpoints: j.coord.completed.Load(), EventsOut: j.sink.eventsOut.Load(), Watermark: j.watermark()}
	for _, s := range j.splits {
		sm := SplitMetrics{Stream: s.scan.name, ID: s.id, Rows: s.mRows.Load(), Watermark: s.mWM.Load(), Idle: s.mIdle.Load(), Ended: s.mEnded.Load()}
		if sm.Ended {
			sm.Watermark = operators.WatermarkEnd
		}
		m.EventsIn += sm.Rows
		m.Splits = append(m.Splits, sm)
	}
	for _, sc := range j.scans {
		m.DeadLettered += sc.dead.Load()
	}
	for _, n := range j.ops {
		st := StageMetrics{Stage: n.name, Key: n.key, RowsIn: n.rowsIn.Load(), RowsOut: n.rowsOut.Load(),
			StateBytes: n.stateBytes.Load(), Late: n.lateRows(), DeadLettered: n.dead.Load(), Watermark: n.wm.Load()}
		m.Late += st.Late
		m.DeadLettered += st.DeadLettered
		m.StateBytes += st.StateBytes
		m.Stages = append(m.Stages, st)
	}
	if m.Watermark != noWatermark && m.Watermark != operators.WatermarkEnd {
		m.WatermarkLag = max(j.now().Sub(time.UnixMicro(m.Watermark)), 0)
	}
	return m
}

// watermark is the root stage's input watermark.
func (j *Job) watermark() int64 {
	switch {
	case len(j.top) > 0:
		wm := operators.WatermarkEnd
		for _, n := range j.top {
			wm = min(wm, n.wm.Load())
		}
		return wm
	case j.topScan != nil:
		return j.topScan.wm.Load()
	}
	return j.sink.wm.Load()
}
