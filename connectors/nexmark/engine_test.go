package nexmark_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
	mem "github.com/streamsql/streamsql/connectors/memory"
	"github.com/streamsql/streamsql/connectors/nexmark"
	"github.com/streamsql/streamsql/operators/expr"
)

// bidColumns declares bid's columns: the binder takes a WATERMARK only
// with declared columns.
const bidColumns = `auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
	date_time TIMESTAMP, extra VARCHAR,`

// TestCreateTableWithNexmarkConnector: batch queries scan the table.
func TestCreateTableWithNexmarkConnector(t *testing.T) {
	ctx := context.Background()
	db := streamsql.New()
	defer db.Close()
	if _, err := db.Exec(ctx, `CREATE TABLE bid (`+bidColumns+` WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
		WITH (connector='nexmark', table='bid', 'events.num'='100000', rate='10000', seed='1', splits='2')`); err != nil {
		t.Fatal(err)
	}
	tbl, _, err := db.Catalog().Lookup([]string{"bid"})
	if err != nil {
		t.Fatal(err)
	}
	st, ok := tbl.(*catalog.StreamTable)
	if !ok || st.Time.Column != "date_time" || st.Time.Delay != 4_000_000 {
		t.Fatalf("table is %T %+v", tbl, tbl)
	}
	if _, ok := st.Unwrap().(*nexmark.Table); !ok {
		t.Fatalf("stream wraps %T", st.Unwrap())
	}
	res, err := db.Query(ctx, "SELECT count(*), min(price) >= 100, max(date_time) FROM bid")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	b := res.Batches[0]
	if n, ok := expr.ScalarValue(b.Column(0), 0), expr.ScalarValue(b.Column(1), 0); n != int64(92_000) || ok != true {
		t.Errorf("count, min(price) >= 100 = %v, %v", n, ok)
	}
}

// TestStreamingJobOverNexmark runs a tumbling-window count as a job: every
// 10 s window of 100,000 events at 10,000/s holds 92,000 bids.
func TestStreamingJobOverNexmark(t *testing.T) {
	ctx := context.Background()
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer alloc.AssertSize(t, 0)
	db := streamsql.New(streamsql.WithAllocator(alloc))
	sink := mem.NewSink()
	defer sink.Release()
	job, err := db.StartJob(ctx, `
		CREATE TABLE bid (`+bidColumns+` WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
		WITH (connector='nexmark', table='bid', 'events.num'='300000', splits='3');
		SELECT window_start, count(*) AS n FROM TUMBLE(bid, date_time, INTERVAL '10' SECOND) GROUP BY window_start`,
		streamsql.JobOptions{Output: sink, CheckpointInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := job.Close(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	got := sink.Rows()
	if len(got) != 3 {
		t.Fatalf("rows %v", got)
	}
	for _, r := range got {
		if r[len(r)-1] != int64(92_000) {
			t.Errorf("window row %v, want 92000 bids", r)
		}
	}
}
