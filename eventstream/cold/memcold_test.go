package cold

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/catalog"
)

// memCold is a cold tier in memory for the tests: a sink that makes rows
// visible at Commit, with the hot position the commit covers, and the
// Snapshotter over what is committed.
type memCold struct {
	mu      sync.Mutex
	schema  *arrow.Schema
	rows    []arrow.RecordBatch // committed
	seq     uint64              // committed hot position
	commits int
}

func (m *memCold) Schema() *arrow.Schema { return m.schema }
func (m *memCold) Scan(context.Context, catalog.ScanRequest) (catalog.BatchReader, error) {
	return nil, fmt.Errorf("scan the snapshot instead")
}

func (m *memCold) OpenSink(_ context.Context, schema *arrow.Schema) (catalog.Sink, error) {
	m.mu.Lock()
	m.schema = schema
	m.mu.Unlock()
	return &memColdSink{c: m}, nil
}

func (m *memCold) Snapshot(_ context.Context, _ string) (catalog.Table, uint64, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.commits == 0 {
		return nil, 0, false, nil
	}
	t := catalog.NewMemTable(m.schema)
	for _, b := range m.rows {
		if err := t.Append(b); err != nil {
			return nil, 0, false, err
		}
	}
	return t, m.seq, true, nil
}

func (m *memCold) release() {
	for _, b := range m.rows {
		b.Release()
	}
}

type memColdSink struct {
	c       *memCold
	pending []arrow.RecordBatch
	staged  []arrow.RecordBatch
	seq     uint64
}

func (s *memColdSink) Write(_ context.Context, b arrow.RecordBatch) error {
	s.pending = append(s.pending, array.NewRecordBatch(b.Schema(), b.Columns(), b.NumRows()))
	return nil
}

func (s *memColdSink) SourcePositions(_ int64, pos map[string][]byte) {
	for _, v := range pos {
		var p struct{ Seq uint64 }
		if json.Unmarshal(v, &p) == nil {
			s.seq = p.Seq
		}
	}
}

func (s *memColdSink) PreCommit(context.Context, int64) ([]byte, error) {
	s.staged = append(s.staged, s.pending...)
	s.pending = nil
	return nil, nil
}

func (s *memColdSink) Commit(context.Context, int64) error {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.c.rows = append(s.c.rows, s.staged...)
	s.c.seq = s.seq
	s.c.commits++
	s.staged = nil
	return nil
}

func (s *memColdSink) Restore(context.Context, []byte) error { return nil }

func (s *memColdSink) Close() error {
	for _, b := range append(s.pending, s.staged...) {
		b.Release()
	}
	s.pending, s.staged = nil, nil
	return nil
}
