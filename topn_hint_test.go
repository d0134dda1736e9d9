package streamsql_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
)

// recordingTable remembers the TopN hint of its last scan.
type recordingTable struct {
	*catalog.MemTable
	hint *catalog.TopNHint
}

func (r *recordingTable) Scan(ctx context.Context, req catalog.ScanRequest) (catalog.BatchReader, error) {
	r.hint = req.TopN
	return r.MemTable.Scan(ctx, req)
}

// A top-N straight over a scan tells the table which rows it keeps; a
// filter, an expression key or a second key in between does not.
func TestTopNHintReachesTheScan(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	mt := memVersion(t, mem, 5, 3, 9, 1)
	defer mt.Release()
	rt := &recordingTable{MemTable: mt}
	db := streamsql.New(streamsql.WithAllocator(mem), streamsql.WithParallelism(1))
	defer db.Close()
	db.RegisterTable("t", rt)
	for _, tc := range []struct{ sql, hint, rows string }{
		{`SELECT x FROM t ORDER BY x DESC LIMIT 2`, "&{0 true true 2}", "9 5"},
		{`SELECT x AS y FROM t ORDER BY y LIMIT 1 OFFSET 1`, "&{0 false false 2}", "3"},
		{`SELECT x FROM t ORDER BY x DESC NULLS LAST LIMIT 1`, "&{0 true false 1}", "9"},
		{`SELECT x FROM t WHERE x > 1 ORDER BY x LIMIT 1`, "<nil>", "3"},
		{`SELECT x FROM t ORDER BY x + 1 LIMIT 1`, "<nil>", "1"},
		{`SELECT x FROM t ORDER BY x`, "<nil>", "1 3 5 9"},
	} {
		rt.hint = nil
		res, err := db.Query(context.Background(), tc.sql)
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		var rows string
		for _, b := range res.Batches {
			for i := range int(b.NumRows()) {
				if rows != "" {
					rows += " "
				}
				rows += b.Column(0).ValueStr(i)
			}
		}
		res.Release()
		if got := fmt.Sprint(rt.hint); got != tc.hint || rows != tc.rows {
			t.Errorf("%s: hint %s rows %q, want %s %q", tc.sql, got, rows, tc.hint, tc.rows)
		}
	}
}
