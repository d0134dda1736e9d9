package parse

import (
	"reflect"
	"strings"
	"testing"
)

// exprTests show precedence: Format parenthesises every operator, so the
// expected text spells out the tree.
var exprTests = []struct{ in, want string }{
	{`a + b * c`, `(a + (b * c))`},
	{`(a + b) * c`, `((a + b) * c)`},
	{`a - b - c`, `((a - b) - c)`},
	{`a / b * c % d`, `(((a / b) * c) % d)`},
	{`a OR b AND c`, `(a OR (b AND c))`},
	{`NOT a AND b`, `((NOT a) AND b)`},
	{`NOT a = b`, `(NOT (a = b))`},
	{`a = b AND c <> d OR e != f`, `(((a = b) AND (c <> d)) OR (e <> f))`},
	{`a < b OR a <= b OR a > b OR a >= b`, `((((a < b) OR (a <= b)) OR (a > b)) OR (a >= b))`},
	{`a || b + c`, `(a || (b + c))`},
	{`-a * b`, `((-a) * b)`},
	{`-a::int`, `(-CAST(a AS INT))`},
	{`a::int + b`, `(CAST(a AS INT) + b)`},
	{`a IS NULL AND b IS NOT NULL`, `((a IS NULL) AND (b IS NOT NULL))`},
	{`a = b IS NOT TRUE`, `((a = b) IS NOT TRUE)`},
	{`a IS NOT DISTINCT FROM b`, `(a IS NOT DISTINCT FROM b)`},
	{`a BETWEEN 1 AND 2 OR b`, `((a BETWEEN 1 AND 2) OR b)`},
	{`a NOT BETWEEN 1 + 1 AND 2 * 2`, `(a NOT BETWEEN (1 + 1) AND (2 * 2))`},
	{`a IN (1, 2) AND b NOT IN ('x')`, `((a IN (1, 2)) AND (b NOT IN ('x')))`},
	{`a IN (SELECT b FROM t)`, `(a IN (SELECT b FROM t))`},
	{`a LIKE 'x%' ESCAPE '\'`, `(a LIKE 'x%' ESCAPE '\')`},
	{`a NOT ILIKE 'x'`, `(a NOT ILIKE 'x')`},
	{`j -> 'a' ->> 'b'`, `((j -> 'a') ->> 'b')`},
	{`j ->> 'a' || 'x'`, `((j ->> 'a') || 'x')`},
	{`CAST(a + 1 AS VARCHAR)`, `CAST(a + 1 AS VARCHAR)`},
	{`x::double precision`, `CAST(x AS DOUBLE PRECISION)`},
	{`CASE WHEN a THEN 1 ELSE 2 END + 1`, `(CASE WHEN a THEN 1 ELSE 2 END + 1)`},
	{`EXISTS (SELECT 1) OR NOT EXISTS (SELECT 2)`, `(EXISTS (SELECT 1) OR (NOT EXISTS (SELECT 2)))`},
	{`(SELECT 1) + 1`, `((SELECT 1) + 1)`},
	{`$1 + $2`, `($1 + $2)`},
	{`INTERVAL '1' DAY * 2`, `(INTERVAL '1' DAY * 2)`},
	{`ts - INTERVAL '5' SECOND`, `(ts - INTERVAL '5' SECOND)`},
	{`ts >= TIMESTAMP '2026-01-01'`, `(ts >= TIMESTAMP '2026-01-01')`},
	{`COUNT(*)`, `count(*)`},
	{`NOT NOT a`, `(NOT (NOT a))`},
	{`- - a`, `(-(-a))`},
	{`a * -b`, `(a * (-b))`},
	{`a = - b`, `(a = (-b))`},
	{`true AND false OR null`, `((TRUE AND FALSE) OR NULL)`},
	{`'a' || 'b' LIKE 'ab'`, `(('a' || 'b') LIKE 'ab')`},
	{`a IN (b) IS TRUE`, `((a IN (b)) IS TRUE)`},
	{`a BETWEEN b AND c AND d`, `((a BETWEEN b AND c) AND d)`},
	{`EXTRACT(EPOCH FROM ts) * 1000`, `(EXTRACT(EPOCH FROM ts) * 1000)`},
	{`x AND (y OR z)`, `(x AND (y OR z))`},
	{`a = NOT b AND c`, `((a = (NOT b)) AND c)`},
	{`position(a IN b) > 0`, `(strpos(b, a) > 0)`},
}

func TestParseExpr(t *testing.T) {
	for _, tt := range exprTests {
		e, err := ParseExpr(tt.in)
		if err != nil {
			t.Errorf("ParseExpr(%q): %v", tt.in, err)
			continue
		}
		got := Format(e)
		if got != tt.want {
			t.Errorf("ParseExpr(%q) = %s, want %s", tt.in, got, tt.want)
		}
		e2, err := ParseExpr(got)
		if err != nil {
			t.Errorf("reparse %q: %v", got, err)
			continue
		}
		if !sameTree(e, e2) {
			t.Errorf("%q: tree changed after round trip", tt.in)
		}
	}
}

func mustExpr(t *testing.T, sql string) Expr {
	t.Helper()
	e, err := ParseExpr(sql)
	if err != nil {
		t.Fatalf("ParseExpr(%q): %v", sql, err)
	}
	return e
}

func mustOne(t *testing.T, sql string) Statement {
	t.Helper()
	s, err := ParseOne(sql)
	if err != nil {
		t.Fatalf("ParseOne(%q): %v", sql, err)
	}
	return s
}

// TestExprNodes checks normalisations that Format alone would not reveal.
func TestExprNodes(t *testing.T) {
	tests := []struct {
		in   string
		want Expr
	}{
		{`a != b`, &Binary{Op: "<>", L: &Ident{Parts: []string{"a"}}, R: &Ident{Parts: []string{"b"}}}},
		{`T."MixedCase".Col`, &Ident{Parts: []string{"t", "MixedCase", "col"}}},
		{`1.50`, &Literal{Kind: NumberLit, Raw: "1.50"}},
		{`'it''s'`, &Literal{Kind: StringLit, Raw: "it's"}},
		{`TRUE`, &Literal{Kind: BoolLit, Raw: "true"}},
		{`NULL`, &Literal{Kind: NullLit, Raw: "null"}},
		{`$12`, &Param{Index: 12}},
		{`INTERVAL '1 hour'`, &IntervalLit{Value: "1 hour"}},
		{`INTERVAL '5' minutes`, &IntervalLit{Value: "5", Unit: "MINUTE"}},
		{`INTERVAL '1:30' Hour To Minute`, &IntervalLit{Value: "1:30", Unit: "HOUR", ToUnit: "MINUTE"}},
		{`date '2026-01-01'`, &TypedLit{TypeName: "DATE", Value: "2026-01-01"}},
		{`CURRENT_TIMESTAMP`, &FuncCall{Name: "now"}},
		{`Now()`, &FuncCall{Name: "now"}},
		{`current_date`, &FuncCall{Name: "current_date"}},
		{`"MyFunc"(x)`, &FuncCall{Name: "MyFunc", Args: []Expr{&Ident{Parts: []string{"x"}}}}},
		{`COUNT(*)`, &FuncCall{Name: "count", Star: true}},
		{`SUBSTRING(s FOR 2)`, &FuncCall{Name: "substr", Args: []Expr{
			&Ident{Parts: []string{"s"}}, &Literal{Kind: NumberLit, Raw: "1"}, &Literal{Kind: NumberLit, Raw: "2"}}}},
		{`POSITION('x' IN s)`, &FuncCall{Name: "strpos", Args: []Expr{
			&Ident{Parts: []string{"s"}}, &Literal{Kind: StringLit, Raw: "x"}}}},
		{`EXTRACT('dow' FROM ts)`, &Extract{Field: "DOW", X: &Ident{Parts: []string{"ts"}}}},
		{`x::varchar(10)`, &Cast{X: &Ident{Parts: []string{"x"}}, TypeName: "VARCHAR"}},
		{`TRY_CAST(x AS int)`, &Cast{X: &Ident{Parts: []string{"x"}}, TypeName: "INT", Try: true}},
		{`NOT EXISTS (SELECT 1)`, &Exists{Not: true, Query: &Query{Body: &Select{
			Items: []*SelectItem{{Expr: &Literal{Kind: NumberLit, Raw: "1"}}}}}}},
		{`x NOT LIKE 'a' ESCAPE '!'`, &Like{X: &Ident{Parts: []string{"x"}}, Not: true,
			Pattern: &Literal{Kind: StringLit, Raw: "a"}, Escape: &Literal{Kind: StringLit, Raw: "!"}}},
		{`x ILIKE 'a'`, &Like{X: &Ident{Parts: []string{"x"}}, CaseInsensitive: true,
			Pattern: &Literal{Kind: StringLit, Raw: "a"}}},
		{`x IS DISTINCT FROM y`, &Is{X: &Ident{Parts: []string{"x"}}, What: "DISTINCT", Y: &Ident{Parts: []string{"y"}}}},
		{`x IS NOT UNKNOWN`, &Is{X: &Ident{Parts: []string{"x"}}, What: "UNKNOWN", Not: true}},
	}
	for _, tt := range tests {
		got := mustExpr(t, tt.in)
		if !sameTree(got, tt.want) {
			t.Errorf("ParseExpr(%q) = %#v (%s), want %s", tt.in, got, Format(got), Format(tt.want))
		}
	}
}

func TestStatementNodes(t *testing.T) {
	ct := mustOne(t, `CREATE TABLE IF NOT EXISTS Cat.Ns.Orders (
		id BIGINT NOT NULL,
		price DOUBLE PRECISION NULL,
		ts TIMESTAMP WITH TIME ZONE,
		WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
	) WITH (connector = 'kafka', 'topic' = 'Orders', Kafka.Bootstrap = 'h:9092', n = 5, flag = TRUE, fmt = Json, neg = -1.5)`).(*CreateTable)
	want := &CreateTable{
		Name:        []string{"cat", "ns", "orders"},
		IfNotExists: true,
		Columns: []*ColumnDef{
			{Name: "id", TypeName: "BIGINT", NotNull: true},
			{Name: "price", TypeName: "DOUBLE PRECISION"},
			{Name: "ts", TypeName: "TIMESTAMP WITH TIME ZONE"},
		},
		Watermark: &Watermark{Column: "ts", Expr: &Binary{Op: "-", L: &Ident{Parts: []string{"ts"}},
			R: &IntervalLit{Value: "5", Unit: "SECOND"}}},
		With: []*Option{
			{Key: "connector", Value: "kafka"}, {Key: "topic", Value: "Orders"},
			{Key: "kafka.bootstrap", Value: "h:9092"}, {Key: "n", Value: "5"},
			{Key: "flag", Value: "true"}, {Key: "fmt", Value: "json"}, {Key: "neg", Value: "-1.5"},
		},
	}
	if !sameTree(ct, want) {
		t.Errorf("CREATE TABLE parsed as %s", Format(ct))
	}

	// The Flink spelling of a window TVF normalises to the plain one.
	flink := mustOne(t, `SELECT * FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' MINUTES)) AS w`)
	plain := mustOne(t, `SELECT * FROM tumble(orders, ts, INTERVAL '10' MINUTE) w`)
	if !sameTree(flink, plain) {
		t.Errorf("Flink TUMBLE = %s, want %s", Format(flink), Format(plain))
	}
	tf := plain.(*Query).Body.(*Select).From[0].(*TableFunc)
	if _, ok := tf.Args[0].(*Ident); !ok || tf.Name != "tumble" || tf.Alias != "w" {
		t.Errorf("TableFunc = %#v", tf)
	}

	q := mustOne(t, `SELECT a FROM t ORDER BY a DESC NULLS FIRST, b NULLS LAST, c LIMIT ALL EMIT CHANGES EVERY INTERVAL '1' SECOND`).(*Query)
	if q.Limit != nil || q.Emit == nil || q.Emit.Mode != EmitChanges || q.Emit.Every == nil {
		t.Errorf("query clauses: %s", Format(q))
	}
	if o := q.OrderBy; !o[0].Desc || o[0].NullsFirst == nil || !*o[0].NullsFirst ||
		o[1].NullsFirst == nil || *o[1].NullsFirst || o[2].NullsFirst != nil {
		t.Errorf("order items: %s", Format(q))
	}
	if q := mustOne(t, `SELECT 1 EMIT ON WINDOW CLOSE`).(*Query); q.Emit.Mode != EmitOnWindowClose {
		t.Errorf("EMIT ON WINDOW CLOSE mode = %v", q.Emit.Mode)
	}

	j := mustOne(t, `SELECT * FROM a NATURAL LEFT JOIN b JOIN c USING (x)`).(*Query).Body.(*Select).From[0].(*Join)
	inner := j.Left.(*Join)
	if j.Kind != InnerJoin || !reflect.DeepEqual(j.Using, []string{"x"}) || inner.Kind != LeftJoin || !inner.Natural || inner.On != nil {
		t.Errorf("joins: %s", Format(j))
	}

	so := mustOne(t, `SELECT 1 UNION SELECT 2 INTERSECT SELECT 3`).(*Query).Body.(*SetOp)
	if so.Op != Union || so.Right.(*SetOp).Op != Intersect {
		t.Errorf("INTERSECT must bind tighter than UNION")
	}
	so = mustOne(t, `SELECT 1 EXCEPT SELECT 2 UNION ALL SELECT 3`).(*Query).Body.(*SetOp)
	if so.Op != Union || !so.All || so.Left.(*SetOp).Op != Except {
		t.Errorf("EXCEPT and UNION must associate left to right")
	}
	pq := mustOne(t, `(SELECT 1 LIMIT 1) UNION (SELECT 2)`).(*Query).Body.(*SetOp)
	if l, ok := pq.Left.(*ParenQuery); !ok || l.Query.Limit == nil {
		t.Errorf("parenthesised operand not kept: %#v", pq.Left)
	}

	sq := mustOne(t, `SELECT * FROM (VALUES (1, 'a')) AS t(x, y)`).(*Query).Body.(*Select).From[0].(*Subquery)
	if _, ok := sq.Query.Body.(*Values); !ok || sq.Alias != "t" || !reflect.DeepEqual(sq.Columns, []string{"x", "y"}) {
		t.Errorf("VALUES subquery: %s", Format(sq))
	}

	ins := mustOne(t, `INSERT INTO t (a, "B") VALUES (1, 2)`).(*Insert)
	if !reflect.DeepEqual(ins.Columns, []string{"a", "B"}) {
		t.Errorf("insert columns %q", ins.Columns)
	}
	d := mustOne(t, `DROP VIEW IF EXISTS s.v`).(*Drop)
	if d.What != "VIEW" || !d.IfExists || !reflect.DeepEqual(d.Name, []string{"s", "v"}) {
		t.Errorf("drop: %#v", d)
	}
	ex := mustOne(t, `EXPLAIN ANALYZE EXPLAIN SELECT 1`).(*Explain)
	if !ex.Analyze || ex.Stmt.(*Explain).Analyze {
		t.Errorf("explain: %s", Format(ex))
	}
	cv := mustOne(t, `CREATE OR REPLACE VIEW v (a) AS SELECT 1`).(*CreateView)
	if !cv.OrReplace || !reflect.DeepEqual(cv.Columns, []string{"a"}) {
		t.Errorf("view: %s", Format(cv))
	}
	sel := mustOne(t, `SELECT DISTINCT t.*, x AS "Y", z w FROM t`).(*Query).Body.(*Select)
	if !sel.Distinct || !sel.Items[0].Star || !reflect.DeepEqual(sel.Items[0].StarTable, []string{"t"}) ||
		sel.Items[1].Alias != "Y" || sel.Items[2].Alias != "w" {
		t.Errorf("select items: %s", Format(sel))
	}
}

func TestParseAPI(t *testing.T) {
	for _, in := range []string{"", "  ", ";", " ; ;; ", "-- only a comment\n", "/* c */"} {
		stmts, err := Parse(in)
		if err != nil || stmts == nil || len(stmts) != 0 {
			t.Errorf("Parse(%q) = %v, %v; want an empty slice", in, stmts, err)
		}
	}
	stmts, err := Parse("SELECT 1; SELECT 2;")
	if err != nil || len(stmts) != 2 {
		t.Fatalf("Parse two statements = %d, %v", len(stmts), err)
	}
	for _, in := range []string{"SELECT 1;", "SELECT 1 ;; -- done"} {
		if _, err := ParseOne(in); err != nil {
			t.Errorf("ParseOne(%q): %v", in, err)
		}
	}
	if _, err := ParseOne("SELECT 1; SELECT 2"); err == nil {
		t.Errorf("ParseOne accepted two statements")
	}
	if _, err := ParseOne(""); err == nil {
		t.Errorf("ParseOne accepted empty input")
	}
	if _, err := ParseExpr("a + 1"); err != nil {
		t.Errorf("ParseExpr: %v", err)
	}
	if _, err := ParseExpr("a + 1;"); err == nil {
		t.Errorf("ParseExpr accepted a ';'")
	}
	// Errors are *Error so callers can use the position.
	_, err = Parse("SELECT FROM")
	if _, ok := err.(*Error); !ok {
		t.Errorf("error type %T, want *Error", err)
	}
	if Format(nil) != "" || Format((*Query)(nil)) != "" {
		t.Errorf("Format of nil should be empty")
	}
	// A malformed hand-built tree is reported, not a crash.
	bad := &Query{Body: &Select{Items: []*SelectItem{nil}}}
	if got := Format(bad); !strings.HasPrefix(got, "SELECT <malformed AST: ") {
		t.Errorf("Format(malformed) = %q", got)
	}
}
