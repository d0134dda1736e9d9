package pubsub

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// A pulled batch decodes the good messages, dead-letters the bad one with
// its message id, and acknowledges nothing until CommitPosition — then
// exactly what the position covers.
func TestSourceAcksOnlyCommittedPositions(t *testing.T) {
	f := newFake(t, false)
	ids := f.publish(`{"id":1,"user":"a"}`, `not json`, `{"id":2,"user":"b"}`)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tbl, err := catalog.OpenURI(f.uri(f.sub, "schema=id+BIGINT,user+VARCHAR,_message_id+VARCHAR"), catalog.RoleSource, nil)
	if err != nil {
		t.Fatal(err)
	}
	var dead []string
	ctx := context.Background()
	readers, err := tbl.(catalog.Streamable).OpenStream(ctx, catalog.StreamRequest{Alloc: mem, DeadLetter: func(raw []byte, reason string) error {
		dead = append(dead, string(raw)+" | "+reason)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	r := readers[0]
	defer r.Close()
	var rows []string
	for len(rows) < 2 {
		b, err := r.Read(ctx)
		if errors.Is(err, catalog.ErrIdle) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := range int(b.NumRows()) {
			rows = append(rows, fmt.Sprintf("%s %s %v", b.Column(0).ValueStr(i), b.Column(1).ValueStr(i), b.Column(2).ValueStr(i) != ""))
		}
		b.Release()
	}
	sort.Strings(rows) // no ordering key: Pub/Sub promises no order
	if strings.Join(rows, ";") != "1 a true;2 b true" {
		t.Fatalf("rows %q", rows)
	}
	if len(dead) != 1 || !strings.HasPrefix(dead[0], "not json | pubsub events-sub message "+ids[1]+":") {
		t.Fatalf("dead letters %q", dead)
	}
	if n := f.acks(ids); n != 0 {
		t.Fatalf("%d acks before any checkpoint", n)
	}
	pos, err := r.Position()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.(catalog.PositionCommitter).CommitPosition(ctx, pos); err != nil {
		t.Fatal(err)
	}
	if n := f.acks(ids); n != 3 {
		t.Fatalf("%d acks after the checkpoint, want 3 (the dead letter too)", n)
	}
}

// Options are validated with the valid ones listed; sources need columns.
func TestOptionErrors(t *testing.T) {
	for _, tc := range []struct{ uri, role, want string }{
		{"pubsub://p/s?bogus=1", catalog.RoleSource, "unknown option bogus (valid: ack_extension, attributes_column"},
		{"pubsub://p/s", catalog.RoleSource, "declare the columns"},
		{"pubsub://p/s?format=raw&splits=0", catalog.RoleSource, "splits \"0\""},
		{"pubsub://p", catalog.RoleSource, "want pubsub://PROJECT/SUBSCRIPTION"},
		{"pubsub://p/s?type=both", "", `type "both"`},
	} {
		_, err := catalog.OpenURI(tc.uri, tc.role, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.uri, err, tc.want)
		}
	}
}
