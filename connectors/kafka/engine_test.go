package kafka

import (
	"context"
	"testing"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/operators/expr"
)

// CREATE TABLE … WITH (connector='kafka', …) makes a topic a table: a
// batch query scans what it holds now; INSERT INTO a sink table writes
// rows to a topic.
func TestCreateTableWithKafkaConnector(t *testing.T) {
	addr := cluster(t, "ev", 2)
	produce(t, addr, "ev", msg{part: 0, value: `{"id":1}`}, msg{part: 1, value: `{"id":2}`}, msg{part: 1, value: `{"id":4}`})
	ctx := context.Background()
	db := streamsql.New()
	defer db.Close()
	if _, err := db.Exec(ctx, "CREATE TABLE ev (id BIGINT, _partition INTEGER) WITH (connector='kafka', brokers='"+addr+"', topic='ev')"); err != nil {
		t.Fatal(err)
	}
	res, err := db.Query(ctx, "SELECT count(*), sum(id), max(_partition) FROM ev")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	b := res.Batches[0]
	if n, sum, p := expr.ScalarValue(b.Column(0), 0), expr.ScalarValue(b.Column(1), 0), expr.ScalarValue(b.Column(2), 0); n != int64(3) || sum != int64(7) || p != int32(1) {
		t.Fatalf("count, sum, max(_partition) = %v, %v, %v", n, sum, p)
	}
	// A sink table may declare columns of its own; format raw needs none
	// at creation.
	if _, err := db.Exec(ctx, "CREATE TABLE out (id BIGINT) WITH (connector='kafka', type='sink', format='raw', brokers='"+addr+"', topic='ev')"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, "CREATE TABLE bad WITH (connector='kafka', brokers='"+addr+"', topic='ev', colour='red')"); err == nil {
		t.Fatal("an unknown option was accepted")
	}
}
