package streamsql_test

import (
	"context"
	"fmt"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/connectors/file"
)

// Plan and run a query over a JSONL file in a few lines.
func Example() {
	db := streamsql.New()
	if err := db.RegisterFile("events", "testdata/events.jsonl", file.Options{}); err != nil {
		fmt.Println(err)
		return
	}
	res, err := db.Query(context.Background(),
		"SELECT status, count(*) AS n FROM events WHERE status IS NOT NULL AND amount > $1 GROUP BY status ORDER BY n DESC, status LIMIT 3", 100)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Release()
	for _, b := range res.Batches {
		for i := 0; i < int(b.NumRows()); i++ {
			fmt.Println(b.Column(0).ValueStr(i), b.Column(1).ValueStr(i))
		}
	}
	// Output:
	// paid 19
	// refunded 10
	// shipped 7
}
