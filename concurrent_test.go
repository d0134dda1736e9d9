package streamsql_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/connectors/file"
)

// Statements on one engine from several goroutines: INSERTs racing with
// DROPs of their table used to leak the batches appended to the dropped
// table, and parallel scans of a memory table filled from slices raced on
// Arrow's lazily computed null counts (go test -race).
func TestConcurrentStatements(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	db := streamsql.New(streamsql.WithAllocator(mem), streamsql.WithParallelism(4))
	if err := db.RegisterFile("e", "testdata/events.parquet", file.Options{}); err != nil {
		t.Fatal(err)
	}
	scripts := []string{
		"CREATE TABLE IF NOT EXISTS s (user_id BIGINT, topic VARCHAR); INSERT INTO s SELECT user_id, topic FROM e LIMIT 150 OFFSET 3",
		"INSERT INTO s SELECT user_id, topic FROM e WHERE amount > 100",
		"DROP TABLE IF EXISTS s",
		"SELECT count(*), count(s.topic) FROM e JOIN s USING (user_id)",
		"SELECT e.status, count(*) FROM e LEFT JOIN s ON e.user_id = s.user_id AND s.topic IS NOT NULL GROUP BY 1",
		"SELECT count(*) FROM s JOIN e USING (user_id) WHERE s.topic <> 'x'",
		"SELECT count(*), min(s1.topic) FROM s s1 JOIN s s2 USING (user_id)",
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 60; i++ {
				sql := scripts[(w+i*(w+1))%len(scripts)]
				res, err := db.Exec(context.Background(), sql)
				for _, r := range res {
					r.Release()
				}
				if err != nil && !strings.Contains(err.Error(), "does not exist") && !strings.Contains(err.Error(), "dropped") {
					errs <- fmt.Errorf("%s: %w", sql, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	db.Close()
	mem.AssertSize(t, 0)
}
