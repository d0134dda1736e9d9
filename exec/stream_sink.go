package exec

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/streamsql/streamsql/catalog"
)

// sinkNode writes the root's output to the job's Sink and completes
// checkpoints: a barrier that reaches it has passed every operator.
type sinkNode struct {
	nodeBase
	sink      catalog.Sink
	eventsOut atomic.Int64
	wm        atomic.Int64
}

func (s *sinkNode) onBatch(ctx context.Context, _ int, m message) error {
	b := m.batch
	defer m.release()
	if b == nil {
		return fmt.Errorf("writing output: a split batch reached the sink")
	}
	if err := guard(s.name, func() error { return s.sink.Write(ctx, b) }); err != nil {
		return err
	}
	s.eventsOut.Add(b.NumRows())
	return nil
}

func (s *sinkNode) onWatermark(_ context.Context, wm int64) error {
	s.wm.Store(wm)
	return nil
}

func (s *sinkNode) onBarrier(ctx context.Context, epoch int64) error {
	s.job.coord.recordNode(epoch, s.key, nodeRecord{Watermark: s.in.wm, EventsOut: s.eventsOut.Load()})
	return s.job.coord.complete(ctx, epoch)
}

func (s *sinkNode) onEndOfInput(context.Context, int) error { return nil }

// onFinish takes the final checkpoint: a rerun on the same state
// directory finds the job done and emits nothing more.
func (s *sinkNode) onFinish(ctx context.Context) error {
	s.job.coord.recordNode(finalEpoch, s.key, nodeRecord{Watermark: s.in.wm, EventsOut: s.eventsOut.Load()})
	if err := s.job.coord.completeFinal(ctx); err != nil {
		return err
	}
	s.job.finished = true
	return nil
}
