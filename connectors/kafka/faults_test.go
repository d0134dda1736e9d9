package kafka

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
)

// fakeCluster starts kfake with topic and returns the cluster itself, for
// tests that inject broker responses.
func fakeCluster(t *testing.T, topic string, n int32) (*kfake.Cluster, string) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(n, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, c.ListenAddrs()[0]
}

// Opening fails clearly on a missing topic or partition; the partitions
// option restricts the splits; a position the broker no longer (or never)
// holds fails the read instead of skipping.
func TestSourceFaults(t *testing.T) {
	mem := checked(t)
	ctx := context.Background()
	addr := cluster(t, "ev", 3)
	produce(t, addr, "ev", values(1, `{"n":1}`, `{"n":2}`)...)
	schema, _ := file.ParseColumns("n BIGINT")
	req := catalog.StreamRequest{Columns: []int{0}, Alloc: mem, Linger: 50 * time.Millisecond}

	_, err := open(t, addr, "nope", schema).OpenStream(ctx, req)
	mustContain(t, err, "listing topic nope: the topic does not exist")
	_, err = open(t, addr, "ev", schema, "partitions", "1,7").OpenStream(ctx, req)
	mustContain(t, err, "it has no partition 7 (it has 3)")
	rs := openReaders(t, open(t, addr, "ev", schema, "partitions", "1"), mem, nil)
	if len(rs) != 1 || rs[0].ID() != "ev/1" {
		t.Fatalf("splits %v", rs)
	}
	if err := rs[0].Seek(ctx, []byte(`{"offset":50}`)); err != nil {
		t.Fatal(err)
	}
	_, err = rs[0].Read(ctx)
	mustContain(t, err, "reading kafka ev/1 at offset 50", "OFFSET_OUT_OF_RANGE")

	// Group commits: none without a group, malformed positions and closed
	// readers are errors.
	plain := openReaders(t, open(t, addr, "ev", schema), mem, nil)[0].(catalog.PositionCommitter)
	if err := plain.CommitPosition(ctx, []byte(`{"offset":1}`)); err != nil {
		t.Fatalf("commit without a group: %v", err)
	}
	grouped := openReaders(t, open(t, addr, "ev", schema, "group", "g"), mem, nil)[0]
	mustContain(t, grouped.(catalog.PositionCommitter).CommitPosition(ctx, []byte(`x`)), "malformed position")
	grouped.Close()
	mustContain(t, grouped.(catalog.PositionCommitter).CommitPosition(ctx, []byte(`{"offset":1}`)), "the reader is closed")

	// TLS: an unreadable or empty CA file.
	_, err = open(t, addr, "ev", schema, "tls_ca", filepath.Join(t.TempDir(), "none.pem")).OpenStream(ctx, req)
	mustContain(t, err, "reading tls_ca")
	bad := filepath.Join(t.TempDir(), "bad.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = open(t, addr, "ev", schema, "tls_ca", bad).OpenStream(ctx, req)
	mustContain(t, err, "no PEM certificate")
}

// A group commit the broker refuses for good fails CommitPosition (and so
// the job); a retriable refusal is left to the next checkpoint.
func TestCommitPositionErrors(t *testing.T) {
	mem := checked(t)
	ctx := context.Background()
	c, addr := fakeCluster(t, "ev", 1)
	schema, _ := file.ParseColumns("n BIGINT")
	r := openReaders(t, open(t, addr, "ev", schema, "group", "g"), mem, nil)[0].(catalog.PositionCommitter)
	refuse := func(code int16) {
		c.ControlKey(int16(kmsg.OffsetCommit), func(req kmsg.Request) (kmsg.Response, error, bool) {
			creq := req.(*kmsg.OffsetCommitRequest)
			resp := creq.ResponseKind().(*kmsg.OffsetCommitResponse)
			for _, rt := range creq.Topics {
				st := kmsg.NewOffsetCommitResponseTopic()
				st.Topic, st.TopicID = rt.Topic, rt.TopicID
				for _, rp := range rt.Partitions {
					sp := kmsg.NewOffsetCommitResponseTopicPartition()
					sp.Partition, sp.ErrorCode = rp.Partition, code
					st.Partitions = append(st.Partitions, sp)
				}
				resp.Topics = append(resp.Topics, st)
			}
			return resp, nil, true
		})
	}
	refuse(kerr.GroupAuthorizationFailed.Code)
	mustContain(t, r.CommitPosition(ctx, []byte(`{"offset":1}`)), "committing offset 1 of kafka ev/0 to group g", "GROUP_AUTHORIZATION_FAILED")
	refuse(kerr.RebalanceInProgress.Code)
	if err := r.CommitPosition(ctx, []byte(`{"offset":1}`)); err != nil {
		t.Fatalf("a retriable refusal failed the commit: %v", err)
	}
	if got := groupOffsets(t, addr, "g", "ev"); len(got) != 0 {
		t.Fatalf("offsets %v after refused commits", got)
	}
	if err := r.CommitPosition(ctx, []byte(`{"offset":1}`)); err != nil {
		t.Fatal(err)
	}
	if got := groupOffsets(t, addr, "g", "ev"); got[0] != 1 {
		t.Fatalf("offsets %v after the commit", got)
	}
}

// Produce failures surface in Write or PreCommit; a restore that cannot
// learn what became of the checkpoint's transaction fails.
func TestSinkFaults(t *testing.T) {
	mem := checked(t)
	ctx := context.Background()
	c, addr := fakeCluster(t, "out", 1)
	b := sinkBatch(mem, []int64{1}, []string{"a"}, []string{""})
	defer b.Release()

	missing := openSink(t, addr, "missing", b.Schema())
	werr := missing.Write(ctx, b)
	if werr == nil {
		_, werr = missing.PreCommit(ctx, 1)
	}
	mustContain(t, werr, "producing to kafka topic missing", "UNKNOWN_TOPIC_OR_PARTITION")
	mustContain(t, missing.Write(ctx, b), "producing to kafka topic missing") // sticky
	missing.Close()

	dead := openSink(t, addr, "out", b.Schema(), "transactional_id", "job-3")
	txnRun(t, dead, b, 1, true)
	state := txnRun(t, dead, b, 2, false)
	c.ControlKey(int16(kmsg.EndTxn), func(req kmsg.Request) (kmsg.Response, error, bool) {
		resp := req.(*kmsg.EndTxnRequest).ResponseKind().(*kmsg.EndTxnResponse)
		resp.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
		return resp, nil, true
	})
	restarted := openSink(t, addr, "out", b.Schema(), "transactional_id", "job-3")
	defer restarted.Close()
	mustContain(t, restarted.Restore(ctx, state), "committing the transaction of checkpoint 2", "TRANSACTIONAL_ID_AUTHORIZATION_FAILED")
}

// Sampling a topic whose tail is an aborted transaction (never delivered
// to read_committed readers) infers from the committed messages only,
// and ends (at the latest after sampleWait, shortened here).
func TestInferenceStopsAtAnAbortedTail(t *testing.T) {
	mem := checked(t)
	defer func(d time.Duration) { sampleWait = d }(sampleWait)
	sampleWait = 300 * time.Millisecond
	addr := cluster(t, "ev", 1)
	produce(t, addr, "ev", values(0, `{"n":1}`)...)
	b := sinkBatch(mem, []int64{7}, []string{"x"}, []string{""})
	defer b.Release()
	s := openSink(t, addr, "ev", b.Schema(), "transactional_id", "aborter")
	if err := s.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // aborts
		t.Fatal(err)
	}
	tbl := open(t, addr, "ev", nil)
	if got := tbl.Schema().String(); !strings.Contains(got, "n: type=int64") || strings.Contains(got, "name") {
		t.Fatalf("schema %s: want only the committed message's columns", got)
	}
}
