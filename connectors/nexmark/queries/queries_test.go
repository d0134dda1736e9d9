package queries

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	q, err := Parse("q1.sql", `-- name: q1
-- title: Currency conversion
-- status: runs
-- flink:
-- SELECT auction, 0.908 * price
-- FROM bid;
-- streamsql:
SELECT auction, 0.908 * price AS price
FROM bid;
-- duckdb:
SELECT auction, 0.908 * price AS price FROM bid;
`)
	if err != nil {
		t.Fatal(err)
	}
	if q.Name != "q1" || !q.Runs || q.Flink != "SELECT auction, 0.908 * price\nFROM bid;" ||
		q.SQL != "SELECT auction, 0.908 * price AS price\nFROM bid" || q.DuckDB != "SELECT auction, 0.908 * price AS price FROM bid" {
		t.Fatalf("%+v", q)
	}
	q, err = Parse("q6.sql", "-- name: q6\n-- status: unsupported OVER windows\n-- streamsql:\nSELECT 1\n")
	if err != nil || q.Runs || q.Reason != "OVER windows" {
		t.Fatalf("%+v %v", q, err)
	}
	for text, want := range map[string]string{
		"-- status: runs\n-- streamsql:\nSELECT 1":             "no -- name: line",
		"-- name: q1\n-- status: runs\n":                       "no -- streamsql: section",
		"-- name: q1\n-- streamsql:\nSELECT 1":                 "no -- status: line",
		"-- name: q1\n-- status: maybe\n-- streamsql:\nSELECT": "status must be runs or unsupported",
	} {
		if _, err := Parse("x.sql", text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", text, err, want)
		}
	}
}
