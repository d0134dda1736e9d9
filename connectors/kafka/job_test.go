package kafka

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
	"github.com/streamsql/streamsql/connectors/memory"
)

// groupOffsets returns the offsets group g committed for topic.
func groupOffsets(t *testing.T, addr, g, topic string) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	out := map[int32]int64{}
	os, err := kadm.NewClient(cl).FetchOffsets(context.Background(), g)
	if err != nil {
		return out // no such group yet
	}
	os.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.Err == nil {
			out[o.Partition] = o.At
		}
	})
	return out
}

// pollUntil polls job until it has read n events and the sink holds
// want rows (or fails after 10 s).
func pollUntil(t *testing.T, job *streamsql.Job, sink *memory.Sink, n, want int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for job.Metrics().EventsIn < n || sink.Len() != want {
		if time.Now().After(deadline) {
			t.Fatalf("the job read %d events and the sink has %d rows, want %d and %d", job.Metrics().EventsIn, sink.Len(), n, want)
		}
		if _, err := job.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// A job killed before its first checkpoint reads the records again when
// it restarts; one killed after a checkpoint resumes after it, so every
// record reaches the sink exactly once. The group's offsets are committed
// only by the checkpoint.
func TestJobResumesExactlyOnceAndCommitsAtCheckpoints(t *testing.T) {
	addr := cluster(t, "ev", 2)
	for i := range 6 {
		produce(t, addr, "ev", msg{part: int32(i % 2), value: fmt.Sprintf(`{"n":%d}`, i)})
	}
	schema, _ := file.ParseColumns("n BIGINT")
	tbl := open(t, addr, "ev", schema, "group", "g")
	in, err := catalog.NewStreamTable(tbl, catalog.EventTime{})
	if err != nil {
		t.Fatal(err)
	}
	eng := streamsql.New()
	defer eng.Close()
	sink := memory.NewSink()
	defer sink.Release()
	state := t.TempDir()
	start := func() *streamsql.Job {
		job, err := eng.StartJob(context.Background(), "SELECT n FROM __input__", streamsql.JobOptions{
			Input: in, Output: sink, StateDir: state, CheckpointInterval: time.Hour, Linger: 20 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		return job
	}

	killed := start()
	pollUntil(t, killed, sink, 6, 6)
	if got := groupOffsets(t, addr, "g", "ev"); len(got) != 0 {
		t.Fatalf("offsets committed before any checkpoint: %v", got)
	}
	killed.Close() // no checkpoint

	again := start()
	pollUntil(t, again, sink, 6, 6) // read again from the start
	if err := again.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := groupOffsets(t, addr, "g", "ev"); got[0] != 3 || got[1] != 3 {
		t.Fatalf("offsets after the checkpoint: %v", got)
	}
	again.Close()

	produce(t, addr, "ev", msg{part: 0, value: `{"n":6}`}, msg{part: 1, value: `{"n":7}`})
	resumed := start()
	defer resumed.Close()
	pollUntil(t, resumed, sink, 8, 8) // events counted since the first checkpointed run
	for range 5 {                     // nothing more comes
		if _, err := resumed.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := resumed.Metrics().EventsIn; n != 8 {
		t.Fatalf("the resumed job counts %d events, want 6 restored + 2 new", n)
	}
	var ns []int
	for _, row := range sink.Rows() {
		ns = append(ns, int(row[0].(int64)))
	}
	sort.Ints(ns)
	if fmt.Sprint(ns) != "[0 1 2 3 4 5 6 7]" {
		t.Fatalf("sink rows %v, want each record once", ns)
	}
}
