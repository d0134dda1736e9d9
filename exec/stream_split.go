package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/operators"
)

// sourceWatermarker is implemented by split readers that declare
// watermarks of their own (test feeds, brokers with broker-side time).
type sourceWatermarker interface {
	SourceWatermark() (int64, bool)
}

// splitState reads one split: it tracks the split's watermark (largest
// event time read minus the delay, or the reader's own if larger), its
// idleness, and injects checkpoint barriers between reads. Used by one
// goroutine at a time (its own in Run mode, the caller's in Poll mode).
type splitState struct {
	scan   *scanNode
	reader catalog.SplitReader
	id     string
	sub    int // edge of the scan's inbox
	out    port
	// pre, when the scan feeds a partitioned stage, splits each batch for
	// its instances here rather than on the scan's goroutine.
	pre *partitionPort

	maxEvent int64 // largest event time read; noWatermark before any
	wm       int64 // last watermark sent
	idle     bool
	lastData time.Time // when data last came (or the job started)
	started  bool
	ended    bool
	injected int64 // last barrier epoch injected
	rows     int64 // rows read, across resumes

	// For Metrics.
	mRows  atomic.Int64
	mWM    atomic.Int64
	mIdle  atomic.Bool
	mEnded atomic.Bool
}

func newSplit(sc *scanNode, r catalog.SplitReader, sub int) *splitState {
	s := &splitState{scan: sc, reader: r, id: r.ID(), sub: sub, maxEvent: noWatermark, wm: noWatermark}
	s.mWM.Store(noWatermark)
	return s
}

// step reads once and sends what it got (a batch, a watermark change,
// the end). It returns the rows read.
func (s *splitState) step(ctx context.Context) (int64, error) {
	if !s.started {
		s.started, s.lastData = true, s.scan.job.now()
	}
	var b arrow.RecordBatch
	err := recovered(s.scan.name, func() error {
		var err error
		b, err = s.reader.Read(ctx)
		return err
	})
	switch {
	case errors.Is(err, io.EOF):
		return 0, s.finish(ctx)
	case errors.Is(err, catalog.ErrIdle):
		if s.scan.job.idleTooLong() {
			return 0, s.finish(ctx)
		}
		return 0, s.updateWatermark(ctx, false)
	case err != nil:
		var se *StageError
		if errors.As(err, &se) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return 0, err
		}
		return 0, &StageError{Stage: s.scan.name, Err: fmt.Errorf("reading split %s of %s: %w", s.id, s.scan.name, err)}
	case b == nil:
		return 0, &StageError{Stage: s.scan.name, Err: fmt.Errorf("reading split %s of %s: no batch and no error", s.id, s.scan.name)}
	}
	n := b.NumRows()
	if n == 0 {
		b.Release()
		if s.scan.job.idleTooLong() {
			return 0, s.finish(ctx)
		}
		return 0, s.updateWatermark(ctx, false)
	}
	s.scan.job.lastInput.Store(s.scan.job.now().UnixNano())
	if err := s.observe(b); err != nil {
		b.Release()
		return 0, err
	}
	s.rows += n
	s.mRows.Store(s.rows)
	m := message{kind: msgBatch, batch: b}
	if s.pre != nil {
		parts, err := s.pre.partition(b)
		if err != nil {
			return 0, &StageError{Stage: s.scan.name, Err: fmt.Errorf("reading split %s of %s: %w", s.id, s.scan.name, err)}
		}
		m = message{kind: msgBatch, parts: parts}
	}
	if err := s.out.send(ctx, m); err != nil {
		return 0, err
	}
	return n, s.updateWatermark(ctx, true)
}

// idleTooLong says whether JobOptions.UntilIdle has passed since any
// split of the job last read a row (or since the job started).
func (j *Job) idleTooLong() bool {
	if j.opts.UntilIdle <= 0 {
		return false
	}
	now := j.now().UnixNano()
	last := j.lastInput.Load()
	if last == 0 {
		j.lastInput.CompareAndSwap(0, now)
		return false
	}
	return now-last >= int64(j.opts.UntilIdle)
}

// observe notes the largest event time of b (NULLs skipped).
func (s *splitState) observe(b arrow.RecordBatch) error {
	c := s.scan.scan.TimeCol
	if c < 0 {
		return nil
	}
	if c >= int(b.NumCols()) {
		return &StageError{Stage: s.scan.name, Err: fmt.Errorf("reading split %s of %s: event time column %d out of range [0, %d)", s.id, s.scan.name, c, b.NumCols())}
	}
	ts, ok := b.Column(c).(*array.Timestamp)
	if !ok {
		return &StageError{Stage: s.scan.name, Err: fmt.Errorf("reading split %s of %s: event time column %d is %s, want TIMESTAMP", s.id, s.scan.name, c, b.Column(c).DataType())}
	}
	nulls := ts.NullN() > 0
	hi := s.maxEvent
	for i, v := range ts.TimestampValues() {
		if int64(v) > hi && (!nulls || ts.IsValid(i)) {
			hi = int64(v)
		}
	}
	s.maxEvent = hi
	return nil
}

// updateWatermark recomputes the split's watermark and idleness after a
// read and sends them when they changed.
func (s *splitState) updateWatermark(ctx context.Context, gotData bool) error {
	now := s.scan.job.now()
	if gotData {
		s.lastData = now
	}
	wm := s.wm
	if st := s.scan.scan; st.TimeCol >= 0 {
		if s.maxEvent != noWatermark {
			cand := noWatermark
			if s.maxEvent >= noWatermark+max(st.Delay, 0) {
				cand = s.maxEvent - st.Delay
			}
			wm = max(wm, cand)
		}
		if sw, ok := s.reader.(sourceWatermarker); ok {
			if v, ok := sw.SourceWatermark(); ok {
				wm = max(wm, v)
			}
		}
	}
	timeout := s.scan.scan.IdleTimeout
	idle := timeout > 0 && now.Sub(s.lastData) > timeout
	if wm == s.wm && idle == s.idle {
		return nil
	}
	s.wm, s.idle = wm, idle
	s.mWM.Store(wm)
	s.mIdle.Store(idle)
	return s.out.send(ctx, message{kind: msgWatermark, wm: wm, idle: idle})
}

// finish records the split's final position and sends its end.
func (s *splitState) finish(ctx context.Context) error {
	pos, err := s.position()
	if err != nil {
		return err
	}
	s.ended = true
	s.idle = false
	s.mEnded.Store(true)
	s.mIdle.Store(false)
	s.scan.job.coord.recordEnded(s.scan.key, splitRecord{ID: s.id, Position: pos, Watermark: operators.WatermarkEnd, Rows: s.rows, Ended: true})
	return s.out.send(ctx, message{kind: msgEnd})
}

// inject records the split's position for checkpoint epoch and sends the
// barrier after everything read so far.
func (s *splitState) inject(ctx context.Context, epoch int64) error {
	pos, err := s.position()
	if err != nil {
		return err
	}
	s.injected = epoch
	s.scan.job.coord.recordSplit(epoch, s.scan.key, splitRecord{ID: s.id, Position: pos, Watermark: s.wm, Rows: s.rows})
	return s.out.send(ctx, message{kind: msgBarrier, epoch: epoch})
}

func (s *splitState) position() ([]byte, error) {
	pos, err := s.reader.Position()
	if err != nil {
		return nil, &StageError{Stage: s.scan.name, Err: fmt.Errorf("reading position of split %s of %s: %w", s.id, s.scan.name, err)}
	}
	return append([]byte(nil), pos...), nil
}
