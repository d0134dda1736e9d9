package exec

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/window"
)

// batchTable serves pre-built batches, one list per split, so a benchmark
// measures the runtime and the operators rather than decoding.
type batchTable struct{ splits [][]arrow.RecordBatch }

func (t *batchTable) Schema() *arrow.Schema { return evSchema }
func (t *batchTable) Scan(context.Context, catalog.ScanRequest) (catalog.BatchReader, error) {
	return nil, io.EOF
}
func (t *batchTable) OpenStream(context.Context, catalog.StreamRequest) ([]catalog.SplitReader, error) {
	var rs []catalog.SplitReader
	for i, bs := range t.splits {
		rs = append(rs, &batchSplit{id: "s" + strconv.Itoa(i), batches: bs})
	}
	return rs, nil
}

type batchSplit struct {
	id      string
	batches []arrow.RecordBatch
	next    int
}

func (s *batchSplit) ID() string { return s.id }
func (s *batchSplit) Read(context.Context) (arrow.RecordBatch, error) {
	if s.next == len(s.batches) {
		return nil, io.EOF
	}
	b := s.batches[s.next]
	s.next++
	b.Retain()
	return b, nil
}
func (s *batchSplit) Position() ([]byte, error)                    { return []byte(strconv.Itoa(s.next)), nil }
func (s *batchSplit) Seek(context.Context, []byte) error           { return nil }
func (s *batchSplit) Close() error                                 { return nil }
func (discardSink) Write(context.Context, arrow.RecordBatch) error { return nil }

type discardSink struct{}

func (discardSink) PreCommit(context.Context, int64) ([]byte, error) { return nil, nil }
func (discardSink) Commit(context.Context, int64) error              { return nil }
func (discardSink) Restore(context.Context, []byte) error            { return nil }
func (discardSink) Close() error                                     { return nil }

// benchBatches makes n events per split in batches of 8192: one event a
// millisecond, 1000 keys.
func benchBatches(mem memory.Allocator, splits, n int) [][]arrow.RecordBatch {
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%04d", i)
	}
	out := make([][]arrow.RecordBatch, splits)
	for s := range out {
		b := array.NewRecordBuilder(mem, evSchema)
		for i := 0; i < n; i += 8192 {
			for r := i; r < min(i+8192, n); r++ {
				b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(int64(r) * 1000))
				b.Field(1).(*array.StringBuilder).Append(keys[(r*7+s)%len(keys)])
				b.Field(2).(*array.Int64Builder).Append(int64(r % 100))
			}
			out[s] = append(out[s], b.NewRecordBatch())
		}
		b.Release()
	}
	return out
}

// BenchmarkJobTumble runs, in Run mode, a per-minute COUNT/SUM per key
// over pre-built Arrow batches from 2 splits into a discarding sink.
func BenchmarkJobTumble(b *testing.B) {
	mem := memory.NewGoAllocator()
	const perSplit = 1 << 20
	tbl := &batchTable{splits: benchBatches(mem, 2, perSplit)}
	defer func() {
		for _, bs := range tbl.splits {
			for _, x := range bs {
				x.Release()
			}
		}
	}()
	spec := window.Spec{Kind: window.Tumble, Size: 60_000_000, Input: evSchema, TimeCol: 0,
		GroupCols: []int{1}, GroupNames: []string{"k"}, Aggs: []operators.AggSpec{
			{Func: "count", Filter: -1, Name: "cnt"},
			{Func: "sum", Args: []int{2}, Filter: -1, Name: "sum"},
		}}
	for _, par := range []int{1, 2} {
		b.Run("parallelism="+strconv.Itoa(par), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				newOp := func() (operators.Operator, error) { return window.NewAggregate(spec) }
				op, err := newOp()
				if err != nil {
					b.Fatal(err)
				}
				root := &operators.Stage{Name: "WindowAggregate", Op: op, NewOp: newOp, KeyCols: [][]int{{1}},
					Inputs: []*operators.Stage{scanStage("events", tbl, 1_000_000, 0)}}
				j, err := NewJob(context.Background(), root, JobOptions{Alloc: mem, Sink: discardSink{}, Parallelism: par})
				if err != nil {
					b.Fatal(err)
				}
				if err := j.Run(context.Background()); err != nil {
					b.Fatal(err)
				}
				if err := j.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(2*perSplit)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
