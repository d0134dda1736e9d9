package kafka

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/operators/expr"
)

// cluster starts an in-process Kafka (kfake) with topic of n partitions
// and returns its address.
func cluster(t testing.TB, topic string, n int32, opts ...kfake.Opt) string {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(n, topic)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// msg is a record to produce to a given partition.
type msg struct {
	part    int32
	key     string
	value   string
	headers map[string]string
	ts      time.Time
}

// produce writes msgs in order, synchronously.
func produce(t testing.TB, addr, topic string, msgs ...msg) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, len(msgs))
	for i, m := range msgs {
		r := &kgo.Record{Topic: topic, Partition: m.part, Value: []byte(m.value), Timestamp: m.ts}
		if m.key != "" {
			r.Key = []byte(m.key)
		}
		for k, v := range m.headers {
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
		}
		recs[i] = r
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// values makes messages of the given JSON values, all to partition p.
func values(p int32, vs ...string) []msg {
	out := make([]msg, len(vs))
	for i, v := range vs {
		out[i] = msg{part: p, value: v}
	}
	return out
}

// open builds a table through the registry, as CREATE TABLE does.
func open(t testing.TB, addr, topic string, schema *arrow.Schema, kv ...string) *Table {
	t.Helper()
	opts := map[string]string{"connector": "kafka", "brokers": addr, "topic": topic}
	for i := 0; i+1 < len(kv); i += 2 {
		opts[kv[i]] = kv[i+1]
	}
	tbl, err := catalog.OpenConnector("kafka", opts, schema)
	if err != nil {
		t.Fatal(err)
	}
	return tbl.(*Table)
}

// allColumns lists every column ordinal of s.
func allColumns(s *arrow.Schema) []int {
	out := make([]int, s.NumFields())
	for i := range out {
		out[i] = i
	}
	return out
}

// readRows reads every reader until each is idle (linger 50 ms) and
// returns the rows as Go values, reader after reader.
func readRows(t testing.TB, readers []catalog.SplitReader) [][]any {
	t.Helper()
	var rows [][]any
	for _, r := range readers {
		for {
			b, err := r.Read(context.Background())
			if errors.Is(err, catalog.ErrIdle) || errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("reading %s: %v", r.ID(), err)
			}
			rows = append(rows, batchRows(b)...)
			b.Release()
		}
	}
	return rows
}

func batchRows(b arrow.RecordBatch) [][]any {
	var rows [][]any
	for r := 0; r < int(b.NumRows()); r++ {
		row := make([]any, b.NumCols())
		for c := range row {
			row[c] = expr.ScalarValue(b.Column(c), r)
		}
		rows = append(rows, row)
	}
	return rows
}

// checked returns an allocator that the test checks for leaks at its end.
func checked(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// openReaders opens a stream of every column with a short linger.
func openReaders(t *testing.T, tbl *Table, mem memory.Allocator, dl func([]byte, string) error) []catalog.SplitReader {
	t.Helper()
	rs, err := tbl.OpenStream(context.Background(), catalog.StreamRequest{
		Columns: allColumns(tbl.Schema()), Alloc: mem, Linger: 50 * time.Millisecond, DeadLetter: dl,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, r := range rs {
			r.Close()
		}
	})
	return rs
}

// mustContain fails unless err's message contains every part.
func mustContain(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not contain %q", err, p)
		}
	}
}
