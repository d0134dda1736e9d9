package iceberg

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

// TierNamespace holds the hot tier's topic tables in a warehouse: topic T
// is table events.T.
const TierNamespace = "events"

// Tier is the cold tier of the event-stream hot tier (`streamsql serve`)
// over a warehouse: the dual path's sink per topic, and the snapshot and
// committed hot position the unified tables split at (it implements
// eventstream/cold.Snapshotter). Positions are those the hot tier's stream
// records: split "eventstream/<topic>", {"seq": N}.
type Tier struct {
	W         *Warehouse
	FileBytes int64 // target data file size of the sinks (0: the default)
}

// Sink opens the topic's table (created from the hot schema on first use)
// as the sink of the dual path's job.
func (t Tier) Sink(_ context.Context, topic, jobID string) (catalog.SinkTable, error) {
	return tierSink{t: t, name: TierNamespace + "." + topic, job: jobID}, nil
}

// Snapshot is the topic's table at its current snapshot and the hot
// sequence its newest dual-path commit covers; ok is false before any.
func (t Tier) Snapshot(ctx context.Context, topic string) (catalog.Table, uint64, bool, error) {
	snap, seq, ok, err := t.committed(ctx, topic)
	if err != nil || !ok {
		return nil, 0, false, err
	}
	tbl, err := t.W.TableAt(ctx, TierNamespace+"."+topic, snap)
	if err != nil {
		return nil, 0, false, err
	}
	return tbl, seq, true, nil
}

// RetainAfter is eventstream.Config.RetainAfter: the hot tier keeps what
// the warehouse has not committed. A failed read keeps everything.
func (t Tier) RetainAfter(topic string) (uint64, bool) {
	_, seq, ok, err := t.committed(context.Background(), topic)
	if err != nil {
		return 0, false
	}
	return seq, ok
}

// committed reads the snapshot and hot sequence of the topic's newest
// dual-path commit.
func (t Tier) committed(ctx context.Context, topic string) (snap int64, seq uint64, ok bool, err error) {
	name := TierNamespace + "." + topic
	snap, pos, ok, err := t.W.CommittedPosition(ctx, name, "eventstream/"+topic)
	if err != nil || !ok {
		return 0, 0, false, err
	}
	var p struct {
		Seq uint64 `json:"seq"`
	}
	if err := json.Unmarshal(pos, &p); err != nil {
		return 0, 0, false, fmt.Errorf("reading the hot position committed to %s: %w", name, err)
	}
	return snap, p.Seq, true, nil
}

// tierSink creates the topic's table from the query's schema on open.
type tierSink struct {
	t    Tier
	name string
	job  string
}

func (s tierSink) OpenSink(ctx context.Context, schema *arrow.Schema) (catalog.Sink, error) {
	return s.t.W.Sink(ctx, s.name, schema, TableOptions{JobID: s.job, TargetFileBytes: s.t.FileBytes})
}
