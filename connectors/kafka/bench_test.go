package kafka

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
)

// benchEvents is how many records the benchmark reads per run.
const benchEvents = 3_000_000

// discard is a sink that counts rows and keeps nothing.
type discard struct{ rows atomic.Int64 }

func (d *discard) OpenSink(context.Context, *arrow.Schema) (catalog.Sink, error) { return d, nil }
func (d *discard) Write(_ context.Context, b arrow.RecordBatch) error {
	d.rows.Add(b.NumRows())
	return nil
}
func (d *discard) PreCommit(context.Context, int64) ([]byte, error) { return []byte("{}"), nil }
func (d *discard) Commit(context.Context, int64) error              { return nil }
func (d *discard) Restore(context.Context, []byte) error            { return nil }
func (d *discard) Close() error                                     { return nil }

// fillTopic produces n JSON events of about 100 bytes, round robin over
// parts partitions.
func fillTopic(b *testing.B, addr, topic string, n, parts int) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchMaxBytes(1<<20))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	for i := range n {
		v := fmt.Sprintf(`{"event_id":"e%d","ts":"2026-03-01 12:%02d:%02d.%03d","user_id":"u%d","page":"/p/%d","amount":%d}`,
			i, i/60000%60, i/1000%60, i%1000, i%97, i%13, i%100)
		cl.Produce(context.Background(), &kgo.Record{Topic: topic, Partition: int32(i % parts), Value: []byte(v)}, nil)
	}
	if err := cl.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// benchEvent is what a hand-written consumer decodes each value into.
type benchEvent struct {
	EventID string  `json:"event_id"`
	TS      string  `json:"ts"`
	UserID  string  `json:"user_id"`
	Page    string  `json:"page"`
	Amount  float64 `json:"amount"`
}

// bareRead reads n records of the topic with a franz-go client alone,
// decoding each value with encoding/json when decode is set.
func bareRead(b *testing.B, addr, topic string, n, parts int, decode bool) {
	from := map[int32]kgo.Offset{}
	for p := range parts {
		from[int32(p)] = kgo.NewOffset().AtStart()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: from}))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	got := 0
	for got < n {
		fs := cl.PollFetches(context.Background())
		if err := fs.Err0(); err != nil {
			b.Fatal(err)
		}
		got += fs.NumRecords()
		if decode {
			var ev benchEvent
			fs.EachRecord(func(r *kgo.Record) {
				if err := json.Unmarshal(r.Value, &ev); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}

// readerRead reads n rows through the split readers alone, one after the
// other.
func readerRead(b *testing.B, tbl *Table, n int) {
	rs, err := tbl.OpenStream(context.Background(), catalog.StreamRequest{Columns: allColumns(tbl.Schema())})
	if err != nil {
		b.Fatal(err)
	}
	got := 0
	for i, r := range rs {
		want := n / len(rs) // fillTopic spreads the events evenly
		if i < n%len(rs) {
			want++
		}
		for split := 0; split < want; {
			rec, err := r.Read(context.Background())
			if err != nil {
				continue // idle: the next fetch is late
			}
			split += int(rec.NumRows())
			rec.Release()
		}
		got += want
		r.Close()
	}
	if got != n {
		b.Fatalf("the readers read %d rows, want %d", got, n)
	}
}

// pipelineRead runs SELECT * FROM __input__ over the topic into a
// discarding sink until it has passed n rows.
func pipelineRead(b *testing.B, eng *streamsql.Engine, in catalog.Table, n int) {
	out := &discard{}
	job, err := eng.StartJob(context.Background(), "SELECT * FROM __input__", streamsql.JobOptions{Input: in, Output: out, CheckpointInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer job.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- job.Run(ctx) }()
	for out.rows.Load() < int64(n) {
		select {
		case err := <-done:
			cancel()
			b.Fatalf("the job ended after %d rows: %v", out.rows.Load(), err)
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	<-done
}

// cpuTime is the CPU time the process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPassThrough compares events/s of a pass-through query reading
// a topic (decoding JSON into Arrow) against a bare franz-go client
// reading the same records (without decoding them; bare_json also decodes
// each value with encoding/json into a struct, as a hand-written consumer
// would), in the same process; reader_events/s is the split readers
// alone, one split after the other:
//
//	go test -run '^$' -bench PassThrough -benchtime 3x -count 3 ./connectors/kafka/
//
// format=raw passes each record's bytes through as a VARCHAR value — the
// like-for-like comparison with the bare client, which does not decode
// either; format=json decodes the JSON into five typed columns (compare
// it with bare_json).
func BenchmarkPassThrough(b *testing.B) {
	for _, format := range []string{file.MessageJSON, file.MessageRaw} {
		for _, parts := range []int{1, 2} {
			b.Run(fmt.Sprintf("format=%s/partitions=%d", format, parts), func(b *testing.B) { benchPassThrough(b, format, parts) })
		}
	}
}

func benchPassThrough(b *testing.B, format string, parts int) {
	addr := cluster(b, "bench", int32(parts))
	fillTopic(b, addr, "bench", benchEvents, parts)
	schema, err := file.ParseColumns("event_id VARCHAR, ts TIMESTAMP, user_id VARCHAR, page VARCHAR, amount BIGINT")
	if err != nil {
		b.Fatal(err)
	}
	if format == file.MessageRaw {
		schema = file.RawSchema
	}
	tbl := open(b, addr, "bench", schema, "format", format)
	in, err := catalog.NewStreamTable(tbl, catalog.EventTime{})
	if err != nil {
		b.Fatal(err)
	}
	eng := streamsql.New()
	defer eng.Close()
	var bare, bareJSON, pipe, direct, bareCPU, pipeCPU time.Duration
	b.ResetTimer()
	for range b.N {
		start, cpu := time.Now(), cpuTime()
		bareRead(b, addr, "bench", benchEvents, parts, false)
		bare += time.Since(start)
		bareCPU += cpuTime() - cpu
		start = time.Now()
		bareRead(b, addr, "bench", benchEvents, parts, true)
		bareJSON += time.Since(start)
		start, cpu = time.Now(), cpuTime()
		pipelineRead(b, eng, in, benchEvents)
		pipe += time.Since(start)
		pipeCPU += cpuTime() - cpu
		start = time.Now()
		readerRead(b, tbl, benchEvents)
		direct += time.Since(start)
	}
	b.ReportMetric(float64(benchEvents*b.N)/direct.Seconds(), "reader_events/s")
	events := float64(benchEvents * b.N)
	b.ReportMetric(events/bare.Seconds(), "bare_events/s")
	b.ReportMetric(events/bareJSON.Seconds(), "bare_json_events/s")
	b.ReportMetric(events/pipe.Seconds(), "pipeline_events/s")
	b.ReportMetric(bare.Seconds()/pipe.Seconds(), "ratio")
	b.ReportMetric(bareJSON.Seconds()/pipe.Seconds(), "ratio_vs_json")
	// CPU per event (the in-process broker's included) depends less on
	// what else the machine runs than wall-clock rates do.
	b.ReportMetric(float64(bareCPU.Nanoseconds())/events, "bare_cpu_ns/event")
	b.ReportMetric(float64(pipeCPU.Nanoseconds())/events, "pipeline_cpu_ns/event")
}
