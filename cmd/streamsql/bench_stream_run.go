package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/exec"
)

// countSink is a SinkTable whose sinks drop every row, counting them and
// summing the columns named "count" (the queries' COUNT(*)) and "total"
// (their SUM(amount)) for the bench's correctness checks, and, where the
// output has a "minute" column, the counts by minute. Sink calls are
// never concurrent (catalog.Sink), and the bench reads the sums after the
// job ended.
type countSink struct {
	rows, count int64
	total       float64
	perMinute   map[int64]int64
}

func (s *countSink) OpenSink(_ context.Context, schema *arrow.Schema) (catalog.Sink, error) {
	return &countSinkWriter{s: s, count: columnOf(schema, "count", arrow.INT64), total: columnOf(schema, "total", arrow.FLOAT64),
		minute: columnOf(schema, "minute", arrow.TIMESTAMP)}, nil
}

// columnOf is the ordinal of the column name of type id, or -1.
func columnOf(schema *arrow.Schema, name string, id arrow.Type) int {
	if i := schema.FieldIndices(name); len(i) > 0 && schema.Field(i[0]).Type.ID() == id {
		return i[0]
	}
	return -1
}

type countSinkWriter struct {
	s                    *countSink
	count, total, minute int
}

func (w *countSinkWriter) Write(_ context.Context, b arrow.RecordBatch) error {
	w.s.rows += b.NumRows()
	if w.count < 0 {
		return nil
	}
	counts := b.Column(w.count).(*array.Int64).Int64Values()
	for _, v := range counts {
		w.s.count += v
	}
	if w.total >= 0 {
		for _, v := range b.Column(w.total).(*array.Float64).Float64Values() {
			w.s.total += v
		}
	}
	if w.minute >= 0 {
		if w.s.perMinute == nil {
			w.s.perMinute = map[int64]int64{}
		}
		for i, m := range b.Column(w.minute).(*array.Timestamp).TimestampValues() {
			w.s.perMinute[int64(m)] += counts[i]
		}
	}
	return nil
}

func (*countSinkWriter) PreCommit(context.Context, int64) ([]byte, error) { return nil, nil }
func (*countSinkWriter) Commit(context.Context, int64) error              { return nil }
func (*countSinkWriter) Restore(context.Context, []byte) error            { return nil }
func (*countSinkWriter) Close() error                                     { return nil }

// streamRun is what one run of a query measured.
type streamRun struct {
	wall, cpu time.Duration // cpu < 0: unknown
	peakHeap  int64         // high-water mark of heap in use above the pre-run baseline
	peakLive  int64         // high-water mark of the live heap above the pre-run baseline
	rows      int64         // output rows
	count     int64         // sum of the output's count column
	total     float64       // sum of the output's total column
	perMinute map[int64]int64
	metrics   exec.Metrics
}

// runStreamJob runs script over input to the end, timing StartJob, Run
// and Close, while sampling the heap.
func runStreamJob(ctx context.Context, eng *streamsql.Engine, script string, input catalog.Table, parallelism int) (streamRun, error) {
	var r streamRun
	sink := &countSink{}
	runtime.GC()
	hs := startHeapSampler()
	cpu0, start := processCPUTime(), time.Now()
	job, err := eng.StartJob(ctx, script, streamsql.JobOptions{
		Input: input, Output: sink, Parallelism: parallelism,
		CheckpointInterval: -1, // no state dir: no checkpoints, as `streamsql run` without --state-dir
	})
	if err != nil {
		hs.stop()
		return r, err
	}
	err = job.Run(ctx)
	r.metrics = job.Metrics()
	err = errors.Join(err, job.Close())
	r.wall, r.cpu = time.Since(start), -1
	if cpu1 := processCPUTime(); cpu0 >= 0 && cpu1 >= 0 {
		r.cpu = cpu1 - cpu0
	}
	r.peakHeap, r.peakLive = hs.stop()
	r.rows, r.count, r.total, r.perMinute = sink.rows, sink.count, sink.total, sink.perMinute
	return r, err
}

// heapMetrics are read by the sampler: the spans in use (objects, live
// or not yet swept, plus their free slots: MemStats.HeapInuse, read
// without stopping the world), and the heap the last GC marked live.
var heapMetrics = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes", "/gc/heap/live:bytes"}

// readHeap returns heap in use and live heap.
func readHeap(s []metrics.Sample) (inUse, live int64) {
	metrics.Read(s)
	v := make([]int64, len(s))
	for i, x := range s {
		if x.Value.Kind() == metrics.KindUint64 {
			v[i] = int64(x.Value.Uint64())
		}
	}
	return v[0] + v[1], v[2]
}

func heapSamples() []metrics.Sample {
	s := make([]metrics.Sample, len(heapMetrics))
	for i, name := range heapMetrics {
		s[i].Name = name
	}
	return s
}

// liveHeap is the heap marked live by a full GC run now.
func liveHeap() int64 {
	runtime.GC()
	_, live := readHeap(heapSamples())
	return live
}

// heapSampler records the high-water marks of heap in use and of live
// heap every few milliseconds on its own goroutine. Heap in use includes
// the garbage GOGC lets accumulate, which grows with the live heap (the
// pre-built input included); live heap only changes at each GC's end.
type heapSampler struct {
	baseInUse, baseLive int64
	peakInUse, peakLive int64
	done                chan struct{}
	wg                  sync.WaitGroup
}

const heapSampleEvery = 5 * time.Millisecond

// startHeapSampler starts sampling; the caller has just run a GC, so the
// baseline holds no garbage.
func startHeapSampler() *heapSampler {
	h := &heapSampler{done: make(chan struct{})}
	s := heapSamples()
	h.baseInUse, h.baseLive = readHeap(s)
	h.peakInUse, h.peakLive = h.baseInUse, h.baseLive
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		t := time.NewTicker(heapSampleEvery)
		defer t.Stop()
		for {
			select {
			case <-h.done:
				return
			case <-t.C:
				h.sample(s)
			}
		}
	}()
	return h
}

func (h *heapSampler) sample(s []metrics.Sample) {
	inUse, live := readHeap(s)
	h.peakInUse, h.peakLive = max(h.peakInUse, inUse), max(h.peakLive, live)
}

// stop ends sampling and returns the peaks above the baselines.
func (h *heapSampler) stop() (inUse, live int64) {
	close(h.done)
	h.wg.Wait()
	h.sample(heapSamples())
	return h.peakInUse - h.baseInUse, h.peakLive - h.baseLive
}

// openGroupsResult is the memory held per open group.
type openGroupsResult struct {
	groups     int64
	stateBytes int64 // exec.Metrics.StateBytes with every group open
	heapGrowth int64 // live heap then, minus live heap before the job
	outRows    int64 // rows once the input ended (must equal groups)
}

// measureOpenGroups feeds ev (one window, every key distinct) to a
// one-minute tumble in Poll mode, without ending the input, so every
// group is open when state and heap are measured; then it ends the
// input and checks one row per group came out.
func measureOpenGroups(ctx context.Context, ev *streamEvents, parallelism int) (res openGroupsResult, err error) {
	res.groups = ev.n
	in, err := newArrowStream(ev, 1)
	if err != nil {
		return res, err
	}
	eng := streamsql.New()
	defer eng.Close()
	sink := &countSink{}
	base := liveHeap()
	job, err := eng.StartJob(ctx, openGroupsSQL, streamsql.JobOptions{
		Input: in.table, Output: sink, Parallelism: parallelism, CheckpointInterval: -1,
		Linger: -1, // the memory stream answers ErrIdle at once when drained
	})
	if err != nil {
		return res, fmt.Errorf("starting the open-groups job: %w", err)
	}
	defer func() { err = errors.Join(err, job.Close()) }()
	for job.Metrics().EventsIn < ev.n {
		if _, err := job.Poll(ctx); err != nil {
			return res, fmt.Errorf("polling the open-groups job: %w", err)
		}
	}
	res.stateBytes = job.Metrics().StateBytes
	res.heapGrowth = liveHeap() - base
	if n := sink.rows; n != 0 {
		return res, fmt.Errorf("open-groups job emitted %d rows before its window closed", n)
	}
	in.stream.CloseWrite()
	for {
		_, err := job.Poll(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, fmt.Errorf("polling the open-groups job: %w", err)
		}
	}
	res.outRows = sink.rows
	if res.outRows != ev.n || sink.count != ev.n {
		return res, fmt.Errorf("open-groups job: %d rows counting %d events, want %d of each", res.outRows, sink.count, ev.n)
	}
	return res, nil
}

const openGroupsSQL = `SELECT window_start, key, count(*) AS count, sum(amount) AS total
FROM TUMBLE(__input__, timestamp, INTERVAL '1' MINUTE) GROUP BY window_start, key`
