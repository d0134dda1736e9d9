package streamsql_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/connectors/file"
)

// Cancelling a running query (what Ctrl-C does in the REPL and the CLI)
// stops it promptly with the context's error and leaks nothing, serially
// and with parallel partitions.
func TestCancelRunningQuery(t *testing.T) {
	for _, par := range []int{1, 4} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		db := streamsql.New(streamsql.WithAllocator(mem), streamsql.WithParallelism(par))
		if err := db.RegisterFile("e", "testdata/events.parquet", file.Options{}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		// 200^3 = 8M joined rows: long enough to be cancelled midway.
		sql := "SELECT count(*), sum(a.amount + b.amount + c.amount) FROM e a CROSS JOIN e b CROSS JOIN e c"
		go func() { time.Sleep(20 * time.Millisecond); cancel() }()
		start := time.Now()
		err := db.Stream(ctx, sql, nil, func([]string, *arrow.Schema) {},
			func(b arrow.RecordBatch) error { b.Release(); return nil }, func(string) {})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("parallelism %d: got %v, want context.Canceled", par, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("parallelism %d: cancellation took %v", par, d)
		}
		db.Close()
		mem.AssertSize(t, 0)
	}
}
