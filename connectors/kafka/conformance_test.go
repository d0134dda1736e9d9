package kafka

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/conformance"
)

// The connector conformance suite over kfake: the source replays exactly
// from positions (partitions picked by key, offsets committed to the
// group at checkpoints), and the transactional sink is exactly once for
// read_committed readers.
func TestConformance(t *testing.T) {
	srv := startPersistent(t, kfake.SeedTopics(3, "conf"), kfake.SeedTopics(1, "confout"))
	addr := srv.addr
	producer, err := kgo.NewClient(kgo.SeedBrokers(addr)) // the default partitioner hashes keys
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	conformance.RunSource(t, conformance.Source{
		Name: "kafka",
		Open: func(t *testing.T) catalog.Streamable {
			tbl, err := catalog.OpenURI("kafka://"+addr+"/conf?group=conformance&schema="+url.QueryEscape(conformance.Columns), catalog.RoleSource, nil)
			if err != nil {
				t.Fatal(err)
			}
			return tbl.(catalog.Streamable)
		},
		Produce: func(t *testing.T, msgs []conformance.Message) {
			recs := make([]*kgo.Record, len(msgs))
			for i, m := range msgs {
				recs[i] = &kgo.Record{Topic: "conf", Key: m.Key, Value: m.Value}
			}
			if err := producer.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
				t.Fatal(err)
			}
		},
		Replayable:    true,
		DeadLetters:   true,
		RestartServer: func(t *testing.T) { srv.restart(t) },
	})
	conformance.RunSink(t, conformance.Sink{
		Name: "kafka",
		Open: func(t *testing.T) catalog.SinkTable {
			tbl, err := catalog.OpenURI("kafka://"+addr+"/confout?transactional_id=conformance", catalog.RoleSink, nil)
			if err != nil {
				t.Fatal(err)
			}
			return tbl.(catalog.SinkTable)
		},
		Read:        func(t *testing.T) [][]byte { return readCommitted(t, addr, "confout") },
		ExactlyOnce: true,
	})
}

// persistent is a kfake cluster that keeps its data in a directory, so
// that it can be stopped and started again on the same port.
type persistent struct {
	c    *kfake.Cluster
	addr string
	opts []kfake.Opt
}

func startPersistent(t *testing.T, opts ...kfake.Opt) *persistent {
	t.Helper()
	p := &persistent{opts: append([]kfake.Opt{kfake.NumBrokers(1), kfake.DataDir(t.TempDir())}, opts...)}
	c, err := kfake.NewCluster(p.opts...)
	if err != nil {
		t.Fatal(err)
	}
	p.c, p.addr = c, c.ListenAddrs()[0]
	_, port, err := net.SplitHostPort(p.addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(port)
	p.opts = append(p.opts, kfake.Ports(n))
	t.Cleanup(func() { p.c.Close() })
	return p
}

// restart stops the cluster and starts it again from its data.
func (p *persistent) restart(t *testing.T) {
	t.Helper()
	p.c.Close()
	c, err := kfake.NewCluster(p.opts...)
	if err != nil {
		t.Fatal(err)
	}
	p.c = c
}

// readCommitted returns the values of topic visible to a read_committed
// consumer, reading until nothing more comes for 300 ms.
func readCommitted(t *testing.T, addr, topic string) [][]byte {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out [][]byte
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		if fs.NumRecords() == 0 {
			return out
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r.Value) })
	}
}
