package live

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/operators/expr"
)

// TestInlinedParamsMatchBoundParams: a parameter inlined as a literal
// evaluates to the same value and type as the parameter bound by the
// engine, for every supported Go type.
func TestInlinedParamsMatchBoundParams(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	for _, v := range []any{nil, true, false, 42, int64(-7), int64(math.MinInt64), int32(-3),
		float32(1.5), 2.25, -1e300, math.Inf(1), math.Inf(-1), "it's", ""} {
		q, err := prepare(f.engine.Catalog(), "SELECT $1 AS x FROM t", []any{v})
		if err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		want, err := f.engine.Query(ctx, "SELECT $1 AS x", v)
		if err != nil {
			t.Fatalf("%#v bound: %v", v, err)
		}
		text := strings.TrimSuffix(q.key, " FROM t")
		got, err := f.engine.Query(ctx, text)
		if err != nil {
			t.Fatalf("%#v inlined as %q: %v", v, text, err)
		}
		gv, wv := expr.ScalarValue(got.Batches[0].Column(0), 0), expr.ScalarValue(want.Batches[0].Column(0), 0)
		if !reflect.DeepEqual(gv, wv) || !arrow.TypeEqual(got.Schema.Field(0).Type, want.Schema.Field(0).Type) {
			t.Errorf("%#v: inlined %q gives %v (%s), bound %v (%s)", v, text, gv, got.Schema.Field(0).Type, wv, want.Schema.Field(0).Type)
		}
		got.Release()
		want.Release()
	}
	q, err := prepare(f.engine.Catalog(), "SELECT $1 AS x FROM t", []any{math.NaN()})
	if err != nil || !strings.Contains(q.key, "'NaN'") {
		t.Errorf("NaN: %v, %v", q, err)
	}
}

// TestNormalisedKey: layout, case and comments do not change the key;
// values, EMIT clauses and structure do; the key is itself a fixed point.
func TestNormalisedKey(t *testing.T) {
	f := newFixture(t, Options{})
	key := func(sql string, params ...any) string {
		t.Helper()
		q, err := prepare(f.engine.Catalog(), sql, params)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return q.key
	}
	base := key("SELECT k FROM t WHERE v > $1", 5)
	for _, same := range []string{"select k\n  from T where v>$1 -- why", "SELECT k FROM t /* c */ WHERE (v > $1)"} {
		if k := key(same, 5); k != base {
			t.Errorf("%q: key %q, want %q", same, k, base)
		}
	}
	if k := key(base); k != base {
		t.Errorf("the key re-normalised to %q", k)
	}
	for _, other := range []string{key("SELECT k FROM t WHERE v > $1", 6), key("SELECT k FROM t WHERE v > $1 EMIT CHANGES", 5), key("SELECT k FROM t WHERE v > 5")} {
		if other == base {
			t.Errorf("different query has the same key %q", other)
		}
	}
}

// TestScannedTables: the tables a query reads, through CTEs, views,
// window table functions and scalar subqueries.
func TestScannedTables(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	if _, err := f.engine.Exec(ctx, "CREATE TABLE dim (k VARCHAR, label VARCHAR); CREATE VIEW big AS SELECT k FROM t WHERE v > 10"); err != nil {
		t.Fatal(err)
	}
	for sql, want := range map[string][]string{
		"WITH x AS (SELECT k FROM t) SELECT k FROM x": {"t"},
		"SELECT k FROM big":                           {"t"},
		"SELECT window_start, COUNT(*) FROM TUMBLE(t, ts, INTERVAL '1' SECOND) GROUP BY window_start": {"t"},
		"SELECT k FROM t WHERE k = (SELECT MAX(k) FROM dim)":                                          {"dim", "t"},
		"SELECT t.k, d.label FROM t JOIN dim d ON t.k = d.k":                                          {"dim", "t"},
	} {
		q, err := prepare(f.engine.Catalog(), sql, nil)
		if err != nil {
			t.Errorf("%s: %v", sql, err)
			continue
		}
		if !reflect.DeepEqual(q.tables, want) {
			t.Errorf("%s: tables %v, want %v", sql, q.tables, want)
		}
	}
}

// TestParseParams: JSON parameter arrays.
func TestParseParams(t *testing.T) {
	got, err := ParseParams([]byte(`[1, 2.5, "a", true, null, 9007199254740993]`))
	want := []any{int64(1), 2.5, "a", true, nil, int64(9007199254740993)}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("params = %#v, %v; want %#v", got, err, want)
	}
	for _, bad := range []string{`{"a":1}`, `[[1]]`, `[{"a":1}]`, `[1`} {
		if _, err := ParseParams([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if p, err := ParseParams(nil); p != nil || err != nil {
		t.Errorf("no params = %v, %v", p, err)
	}
	if _, err := ParseRequest([]byte(`{"params":[1]}`)); err == nil {
		t.Error("a request without sql was accepted")
	}
}

// TestUpdateJSON: the wire shape of updates.
func TestUpdateJSON(t *testing.T) {
	u := Update{Columns: []string{"k", "n"}, Rows: [][]json.RawMessage{{json.RawMessage(`"a"`), json.RawMessage(`1`)}, {json.RawMessage(`"a\"b"`), json.RawMessage(`null`)}},
		Ops: []string{"delete", "insert"}, Snapshot: true}
	b, err := json.Marshal(u)
	if want := `{"columns":["k","n"],"rows":[["a",1],["a\"b",null]],"ops":["delete","insert"],"snapshot":true}`; err != nil || string(b) != want {
		t.Errorf("update = %s, %v; want %s", b, err, want)
	}
	b, _ = json.Marshal(Update{Err: ErrSlowConsumer})
	if want := `{"error":"live query: subscriber too slow, its queue overflowed"}`; string(b) != want {
		t.Errorf("error = %s, want %s", b, want)
	}
	b, _ = json.Marshal(Update{Columns: []string{"k"}})
	if want := `{"columns":["k"],"rows":[]}`; string(b) != want {
		t.Errorf("empty = %s, want %s", b, want)
	}
}

// TestResultStateEviction: the snapshot state applies retractions and
// keeps only the newest rows beyond its bound.
func TestResultStateEviction(t *testing.T) {
	s := newResultState(2)
	row := func(v string) []json.RawMessage { return []json.RawMessage{json.RawMessage(v)} }
	apply := func(op string, vals ...string) {
		u := Update{}
		for _, v := range vals {
			u.Rows, u.Ops = append(u.Rows, row(v)), append(u.Ops, op)
		}
		s.apply(u)
	}
	apply("insert", "1", "2", "2")
	apply("delete", "2", "9") // 9 was never inserted: ignored
	apply("insert", "3")      // over the bound: 1, the oldest, goes
	apply("delete", "2")
	apply("insert", "2", "4") // 2 again is new; 3 is now the oldest and goes
	snap := s.snapshot([]string{"x"})
	var got []string
	for _, r := range snap.Rows {
		got = append(got, string(r[0]))
	}
	if want := []string{"2", "4"}; !reflect.DeepEqual(got, want) || !snap.Snapshot || len(snap.Ops) != 2 {
		t.Errorf("snapshot = %v (%+v), want %v", got, snap, want)
	}
	for range 200 { // churn: the order list stays compact
		apply("insert", "5")
		apply("delete", "5")
	}
	if len(s.order) > 2*len(s.rows)+65 {
		t.Errorf("order holds %d refs for %d rows", len(s.order), len(s.rows))
	}
}
