package pubsub

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/transforms"
)

// End to end: a transform reads a subscription and publishes its rows to
// a topic, with an ordering key and attributes from columns; every row
// arrives once, tagged, and the input is acknowledged.
func TestTransformSubscriptionToTopic(t *testing.T) {
	in := newFake(t, false)
	ids := in.publish(`{"id":1,"user":"a","amount":2.5}`, `{"id":2,"user":"b","amount":1}`, `{"id":3,"user":"a","amount":4}`, `oops`)
	ctx := context.Background()
	c, err := newClient(ctx, options{project: in.project, endpoint: in.srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tr, err := transforms.Parse("t.sql", `SELECT id, user, amount * 2 AS doubled, '{"src":"test"}' AS attrs FROM __input__ WHERE amount > 1`)
	if err != nil {
		t.Fatal(err)
	}
	dl := filepath.Join(t.TempDir(), "dead.jsonl")
	if _, err := c.TopicAdminClient.CreateTopic(ctx, topicReq(in.project, "out")); err != nil {
		t.Fatal(err)
	}
	res, err := transforms.Run(ctx, tr, transforms.Config{
		Input:      in.uri(in.sub, "schema=id+BIGINT,user+VARCHAR,amount+DOUBLE"),
		Output:     in.uri("out", "ordering_key_column=user&attributes_column=attrs"),
		DeadLetter: dl, UntilIdle: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range in.srv.Messages() {
		if m.Topic != "projects/p/topics/out" {
			continue
		}
		got = append(got, string(m.Data)+" key="+m.OrderingKey+" src="+m.Attributes["src"]+" tagged="+boolStr(m.Attributes["streamsql-id"] != ""))
	}
	sort.Strings(got)
	want := []string{
		`{"id":1,"user":"a","doubled":5,"attrs":"{\"src\":\"test\"}"} key=a src=test tagged=true`,
		`{"id":3,"user":"a","doubled":8,"attrs":"{\"src\":\"test\"}"} key=a src=test tagged=true`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("published:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if res.DeadLettered != 1 {
		t.Errorf("dead-lettered %d, want 1", res.DeadLettered)
	}
	b, _ := os.ReadFile(dl)
	if !strings.Contains(string(b), `"raw":"oops"`) {
		t.Errorf("dead letters: %s", b)
	}
	if n := in.acks(ids); n < 4 {
		t.Errorf("%d of 4 input messages acknowledged after the job", n)
	}
}

// A publish the service refuses (no such topic) fails the checkpoint, so
// nothing upstream is acknowledged; an unknown key column fails at open.
func TestSinkFailures(t *testing.T) {
	f := newFake(t, false)
	ctx := context.Background()
	tbl, err := catalog.OpenURI(f.uri("missing", ""), catalog.RoleSink, nil)
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	s, err := tbl.(catalog.SinkTable).OpenSink(ctx, schema)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewStringBuilder(mem)
	b.Append("x")
	col := b.NewArray()
	b.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, 1)
	col.Release()
	if err := s.Write(ctx, rec); err != nil {
		t.Fatal(err)
	}
	rec.Release()
	if _, err := s.PreCommit(ctx, 1); err == nil || !strings.Contains(err.Error(), "1 messages failed") {
		t.Errorf("PreCommit to a missing topic: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	tbl, err = catalog.OpenURI(f.uri("out", "ordering_key_column=nope"), catalog.RoleSink, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.(catalog.SinkTable).OpenSink(ctx, schema); err == nil || !strings.Contains(err.Error(), `ordering_key_column "nope"`) {
		t.Errorf("unknown ordering column: %v", err)
	}
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
