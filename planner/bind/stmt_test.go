package bind

import (
	"reflect"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/parse"
)

func TestCreateTable(t *testing.T) {
	b, err := bindSQL(t, "CREATE TABLE IF NOT EXISTS clicks (id BIGINT NOT NULL, url TEXT, ts TIMESTAMP, "+
		"WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH (connector = 'kafka', 'Kafka.Topic' = 'Clicks')")
	if err != nil {
		t.Fatal(err)
	}
	ct, ok := b.(*CreateTable)
	if !ok {
		t.Fatalf("got %T", b)
	}
	if !ct.IfNotExists || !reflect.DeepEqual(ct.Name, []string{"clicks"}) || ct.As != nil {
		t.Errorf("got %+v", ct)
	}
	if want := map[string]string{"connector": "kafka", "kafka.topic": "Clicks"}; !reflect.DeepEqual(ct.Options, want) {
		t.Errorf("options %v, want %v", ct.Options, want)
	}
	got := ct.Schema.String()
	want := "schema:\n  fields: 3\n    - id: type=int64\n    - url: type=utf8, nullable\n    - ts: type=timestamp[us, tz=UTC], nullable"
	if got != want {
		t.Errorf("schema:\n%s\nwant:\n%s", got, want)
	}
	if ct.Watermark == nil || ct.Watermark.Column != "ts" || ct.Watermark.Expr.String() != "(ts#3 - INTERVAL '00:00:05')" {
		t.Errorf("watermark %+v", ct.Watermark)
	}

	// No columns: the connector infers the schema.
	b, err = bindSQL(t, "CREATE TABLE f WITH (connector = 'file', path = 'x.jsonl')")
	if err != nil {
		t.Fatal(err)
	}
	if ct := b.(*CreateTable); ct.Schema != nil || ct.Options["path"] != "x.jsonl" {
		t.Errorf("got %+v", ct)
	}
}

func TestCreateTableAs(t *testing.T) {
	b, err := bindSQL(t, "CREATE TABLE agg WITH (connector = 'memory') AS SELECT kind, count(*) AS n FROM events GROUP BY kind")
	if err != nil {
		t.Fatal(err)
	}
	ct := b.(*CreateTable)
	if ct.As == nil || !reflect.DeepEqual(ct.As.Names, []string{"kind", "n"}) {
		t.Fatalf("got %+v", ct)
	}
	want := "schema:\n  fields: 2\n    - kind: type=utf8, nullable\n    - n: type=int64"
	if got := ct.Schema.String(); got != want {
		t.Errorf("schema:\n%s\nwant:\n%s", got, want)
	}

	// Declared types cast the query's columns.
	b, err = bindSQL(t, "CREATE TABLE t2 (a BIGINT, b TEXT) AS SELECT 1, 'x'")
	if err != nil {
		t.Fatal(err)
	}
	ct = b.(*CreateTable)
	wantPlan := "Project: CAST(?column?#1 AS BIGINT) AS a#3, ?column?#2 AS b#4\n" +
		"  Project: 1 AS ?column?#1, 'x' AS ?column?#2\n" +
		"    Values: 1 rows []\n"
	if got := tree(ct.As.Plan); got != wantPlan {
		t.Errorf("plan:\n%s\nwant:\n%s", got, wantPlan)
	}
	if !reflect.DeepEqual(ct.As.Names, []string{"a", "b"}) {
		t.Errorf("names %v", ct.As.Names)
	}
}

func TestCreateView(t *testing.T) {
	src := "SELECT 1;\nCREATE OR REPLACE VIEW s.v (a, b) AS\n  SELECT id, kind FROM events WHERE kind = 'x;y' /* c */ -- trailing\n;\nSELECT 2"
	stmts, err := parse.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Bind(stmts[1], src, testCatalog(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := &CreateView{Name: "s.v", SQL: "SELECT id, kind FROM events WHERE kind = 'x;y'", Columns: []string{"a", "b"}, OrReplace: true}
	if !reflect.DeepEqual(b, want) {
		t.Errorf("got %+v\nwant %+v", b, want)
	}
	// The stored text binds again as a view.
	cat := testCatalog()
	cat.PutView("v", catalogView(want))
	stmt, err := parse.ParseOne("SELECT b FROM v")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Bind(stmt, "SELECT b FROM v", cat, Options{}); err != nil {
		t.Errorf("binding the stored view: %v", err)
	}
}

func TestDropInsertExplain(t *testing.T) {
	b, err := bindSQL(t, "DROP TABLE IF EXISTS a.b")
	if err != nil {
		t.Fatal(err)
	}
	if want := (&Drop{What: "TABLE", Name: []string{"a", "b"}, IfExists: true}); !reflect.DeepEqual(b, want) {
		t.Errorf("got %+v", b)
	}

	b, err = bindSQL(t, "INSERT INTO users (name, id) SELECT kind, qty FROM events")
	if err != nil {
		t.Fatal(err)
	}
	ins := b.(*Insert)
	wantPlan := "Project: kind#7 AS name#9, CAST(qty#8 AS BIGINT) AS id#10\n" +
		"  Project: kind#4 AS kind#7, qty#6 AS qty#8\n" +
		"    Scan: events [id#1, user_id#2, amount#3, kind#4, ts#5, qty#6]\n"
	if got := tree(ins.Query.Plan); got != wantPlan {
		t.Errorf("plan:\n%s\nwant:\n%s", got, wantPlan)
	}
	if !reflect.DeepEqual(ins.Columns, []string{"name", "id"}) || !reflect.DeepEqual(ins.Query.Names, []string{"name", "id"}) {
		t.Errorf("got %+v", ins)
	}

	// VALUES literals take the target columns' types.
	b, err = bindSQL(t, "INSERT INTO users VALUES (1, 'bob', '2024-01-01', 'yes'), (2, NULL, NULL, NULL)")
	if err != nil {
		t.Fatal(err)
	}
	ins = b.(*Insert)
	wantPlan = "Project: CAST(column1#1 AS BIGINT) AS id#5, column2#2 AS name#6, column3#3 AS signup#7, column4#4 AS active#8\n" +
		"  Values: 2 rows [column1#1, column2#2, column3#3, column4#4]\n"
	if got := tree(ins.Query.Plan); got != wantPlan {
		t.Errorf("plan:\n%s\nwant:\n%s", got, wantPlan)
	}
	if v := ins.Query.Plan.Children()[0].(*logical.Values); v.Rows[0][2].String() != "DATE '2024-01-01'" || v.Rows[0][3].String() != "true" {
		t.Errorf("row 0: %v", v.Rows[0])
	}

	b, err = bindSQL(t, "EXPLAIN ANALYZE SELECT 1 AS one")
	if err != nil {
		t.Fatal(err)
	}
	ex := b.(*Explain)
	if q, ok := ex.Inner.(*Query); !ok || !ex.Analyze || q.Names[0] != "one" {
		t.Errorf("got %+v", ex)
	}
}

func TestParams(t *testing.T) {
	b, err := bindSQL(t, "SELECT $1, $2, $3, $4 FROM events WHERE ts > $5 AND qty = $6 AND id = $7 LIMIT $8 OFFSET $9",
		nil, true, int64(5), 2.5, "2024-01-01 10:00:00", "7", float64(3), float64(10), "2")
	if err != nil {
		t.Fatal(err)
	}
	q := b.(*Query)
	got := tree(q.Plan)
	for _, frag := range []string{
		"Limit: count=10 offset=2",
		"Filter: (((ts#5 > TIMESTAMP '2024-01-01 10:00:00') AND (qty#6 = 7)) AND (CAST(id#1 AS DOUBLE) = 3))",
		"Project: NULL AS ?column?#7, true AS ?column?#8, 5 AS ?column?#9, 2.5 AS ?column?#10",
	} {
		if !strings.Contains(got, frag) {
			t.Errorf("plan lacks %q:\n%s", frag, got)
		}
	}
	if s := schemaString(q); s != "?column?:NULL?, ?column?:BOOLEAN, ?column?:BIGINT, ?column?:DOUBLE" {
		t.Errorf("schema %s", s)
	}
	if _, err := bindSQL(t, "SELECT $1", struct{}{}); err == nil || !strings.Contains(err.Error(), "unsupported value for parameter $1") {
		t.Errorf("got %v", err)
	}
}

// TestHandBuiltAST binds an AST built without the parser, with no source
// text: errors then carry only the position.
func TestHandBuiltAST(t *testing.T) {
	pos := func(col int) parse.Pos { return parse.Pos{Line: 1, Col: col, Offset: col - 1} }
	q := &parse.Query{Pos: pos(1), Body: &parse.Select{Pos: pos(1),
		Items: []*parse.SelectItem{{Pos: pos(8), Expr: &parse.Ident{Pos: pos(8), Parts: []string{"nme"}}}},
		From:  []parse.TableExpr{&parse.TableName{Pos: pos(17), Name: []string{"users"}}},
	}}
	_, err := Bind(q, "", testCatalog(), Options{})
	if err == nil || err.Error() != `line 1, column 8: column "nme" does not exist (did you mean "name"?)` {
		t.Errorf("got %v", err)
	}
	q.Body.(*parse.Select).Items[0].Expr = &parse.Ident{Pos: pos(8), Parts: []string{"name"}}
	b, err := Bind(q, "", nil, Options{})
	if err == nil || err.Error() != `line 1, column 17: table "users" does not exist` {
		t.Errorf("nil catalog: got %v, %v", b, err)
	}
	if _, err := Bind(nil, "", nil, Options{}); err == nil {
		t.Error("nil statement bound")
	}
}
