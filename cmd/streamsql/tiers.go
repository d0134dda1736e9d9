package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/iceberg"
)

// coldNamespace holds `streamsql serve`'s topic tables in the warehouse:
// topic T is table events.T.
const coldNamespace = "events"

// icebergCold is the cold tier of `streamsql serve`: the dual path's sink
// and the unified tables' snapshots, over one warehouse.
type icebergCold struct {
	w         *iceberg.Warehouse
	fileBytes int64 // target data file size (--batch-max-bytes)
}

// Sink opens the topic's table as a sink for the dual path's job.
func (c icebergCold) Sink(_ context.Context, topic, jobID string) (catalog.SinkTable, error) {
	return icebergTopicSink{c: c, name: coldNamespace + "." + topic, job: jobID}, nil
}

// Snapshot implements cold.Snapshotter: the topic's table at its current
// snapshot, and the hot sequence its newest dual-path commit covers.
func (c icebergCold) Snapshot(ctx context.Context, topic string) (catalog.Table, uint64, bool, error) {
	name := coldNamespace + "." + topic
	snap, seq, ok, err := c.committed(ctx, topic)
	if err != nil || !ok {
		return nil, 0, false, err
	}
	t, err := c.w.TableAt(ctx, name, snap)
	if err != nil {
		return nil, 0, false, err
	}
	return t, seq, true, nil
}

// committed reads the snapshot and hot sequence of the topic's newest
// dual-path commit.
func (c icebergCold) committed(ctx context.Context, topic string) (snap int64, seq uint64, ok bool, err error) {
	name := coldNamespace + "." + topic
	snap, pos, ok, err := c.w.CommittedPosition(ctx, name, "eventstream/"+topic)
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

// retainAfter is eventstream.Config.RetainAfter: the hot tier keeps what
// the warehouse has not committed. A failed read keeps everything.
func (c icebergCold) retainAfter(topic string) (uint64, bool) {
	_, seq, ok, err := c.committed(context.Background(), topic)
	if err != nil {
		return 0, false
	}
	return seq, ok
}

// icebergTopicSink creates the topic's table from the hot schema on first
// use (partitioned by topic and hour of the event time).
type icebergTopicSink struct {
	c    icebergCold
	name string
	job  string
}

func (s icebergTopicSink) OpenSink(ctx context.Context, schema *arrow.Schema) (catalog.Sink, error) {
	return s.c.w.Sink(ctx, s.name, schema, iceberg.TableOptions{JobID: s.job, TargetFileBytes: s.c.fileBytes})
}
