package nats

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/transforms"
)

// benchEvents is the stream the benchmarks read, per iteration.
const benchEvents = 200_000

// BenchmarkJetStream compares a pass-through query reading a JetStream
// stream (decode, query, sink; acks at the final checkpoint) with the
// bare nats.go client pulling and acking the same messages, in the same
// process against the same in-process server. Each iteration reads the
// whole stream through a new durable consumer. Run with
// -benchtime=1x -count=3 and compare the events/s medians.
func BenchmarkJetStream(b *testing.B) {
	ts := startServer(b)
	_, js := ts.client()
	createStream(b, js, "EV", "ev.>")
	publishEvents(b, js, "ev.a", 0, benchEvents)
	run := 0
	b.Run("bare", func(b *testing.B) {
		for range b.N {
			run++
			if n := bareRead(b, js, fmt.Sprintf("bare%d", run)); n != benchEvents {
				b.Fatalf("read %d of %d", n, benchEvents)
			}
		}
		b.ReportMetric(float64(benchEvents)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	for _, policy := range []string{"explicit", "all"} {
		b.Run("query_ack_"+policy, func(b *testing.B) {
			tr, err := transforms.Parse("pass.sql", "SELECT * FROM __input__")
			if err != nil {
				b.Fatal(err)
			}
			for range b.N {
				run++
				if n := queryRead(b, tr, ts, fmt.Sprintf("query%d", run), policy); n != benchEvents {
					b.Fatalf("read %d of %d", n, benchEvents)
				}
			}
			b.ReportMetric(float64(benchEvents)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// bareRead pulls and acks every message through a new durable consumer.
func bareRead(b *testing.B, js jetstream.JetStream, name string) int {
	ctx := context.Background()
	cons, err := js.CreateConsumer(ctx, "EV", jetstream.ConsumerConfig{
		Durable: name, AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 100_000,
	})
	if err != nil {
		b.Fatal(err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(4096))
	if err != nil {
		b.Fatal(err)
	}
	defer it.Stop()
	n := 0
	for n < benchEvents {
		m, err := it.Next(jetstream.NextMaxWait(10 * time.Second))
		if err != nil {
			b.Fatal(err)
		}
		if err := m.Ack(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	return n
}

// queryRead runs the pass-through query until its sink has every event.
func queryRead(b *testing.B, tr *transforms.Transform, ts *testServer, consumer, policy string) int64 {
	sink := &countSink{want: benchEvents, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	uri := fmt.Sprintf("jetstream://127.0.0.1:%d/EV/%s?schema=id+BIGINT,name+VARCHAR&ack_policy=%s", ts.port, consumer, policy)
	go func() {
		// Checkpoints (not persisted) acknowledge what was read, as the
		// bare client's acks do; without them the consumer would stop at
		// max_ack_pending.
		_, err := transforms.Run(ctx, tr, transforms.Config{Input: uri, OutputSink: sink, UntilIdle: 2 * time.Second,
			Options: transforms.Options{CheckpointInterval: time.Second}})
		errc <- err
	}()
	select {
	case <-sink.done:
	case err := <-errc:
		b.Fatalf("the job ended early after %d rows: %v", sink.rows.Load(), err)
	}
	b.StopTimer()
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	return sink.rows.Load()
}

// countSink counts rows and signals when it has want.
type countSink struct {
	rows atomic.Int64
	want int64
	done chan struct{}
}

func (s *countSink) OpenSink(context.Context, *arrow.Schema) (catalog.Sink, error) { return s, nil }
func (s *countSink) Write(_ context.Context, b arrow.RecordBatch) error {
	if s.rows.Add(b.NumRows()) == s.want {
		close(s.done)
	}
	return nil
}
func (s *countSink) PreCommit(context.Context, int64) ([]byte, error) { return nil, nil }
func (s *countSink) Commit(context.Context, int64) error              { return nil }
func (s *countSink) Restore(context.Context, []byte) error            { return nil }
func (s *countSink) Close() error                                     { return nil }
