package bind

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/parse"
	"github.com/streamsql/streamsql/planner/types"
)

// fakeTable has a schema and cannot be scanned: binding never scans.
type fakeTable struct{ schema *arrow.Schema }

func (t fakeTable) Schema() *arrow.Schema { return t.schema }
func (t fakeTable) Scan(context.Context, catalog.ScanRequest) (catalog.BatchReader, error) {
	return nil, errors.New("fakeTable: not scannable")
}

func field(name string, t types.Type, nullable bool) arrow.Field {
	return arrow.Field{Name: name, Type: t.ArrowType(), Nullable: nullable}
}

func testCatalog() *catalog.Memory {
	m := catalog.NewMemory()
	m.Put("events", fakeTable{arrow.NewSchema([]arrow.Field{
		field("id", types.BigintType, false),
		field("user_id", types.BigintType, true),
		field("amount", types.DoubleType, true),
		field("kind", types.VarcharType, true),
		field("ts", types.TimestampType, false),
		field("qty", types.IntegerType, true),
	}, nil)})
	m.Put("users", fakeTable{arrow.NewSchema([]arrow.Field{
		field("id", types.BigintType, false),
		field("name", types.VarcharType, true),
		field("signup", types.DateType, true),
		field("active", types.BooleanType, true),
	}, nil)})
	m.PutView("big_events", catalog.View{SQL: "SELECT id, amount FROM events WHERE amount > 100"})
	m.PutView("named", catalog.View{SQL: "SELECT id, name FROM users", Columns: []string{"uid", "uname"}})
	m.PutView("broken", catalog.View{SQL: "SELECT nope FROM users"})
	m.PutView("loop", catalog.View{SQL: "SELECT * FROM loop"})
	return m
}

// bindSQL parses and binds one statement against the test catalog.
func bindSQL(t *testing.T, sql string, params ...any) (Bound, error) {
	t.Helper()
	stmt, err := parse.ParseOne(sql)
	if err != nil {
		t.Fatalf("parse %q: %v", sql, err)
	}
	return Bind(stmt, sql, testCatalog(), Options{Params: params})
}

// tree renders a plan one node per line, children indented.
func tree(n logical.Node) string {
	var b strings.Builder
	var walk func(n logical.Node, depth int)
	walk = func(n logical.Node, depth int) {
		b.WriteString(strings.Repeat("  ", depth) + n.String() + "\n")
		for _, c := range n.Children() {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}

// schemaString renders output names and types: "a:BIGINT, b:VARCHAR?"
// (? marks nullable).
func schemaString(q *Query) string {
	parts := make([]string, len(q.Names))
	for i, c := range q.Plan.Schema() {
		s := q.Names[i] + ":" + c.Type.String()
		if c.Nullable {
			s += "?"
		}
		parts[i] = s
	}
	return strings.Join(parts, ", ")
}

// catalogView is what an engine stores for a bound CREATE VIEW.
func catalogView(v *CreateView) catalog.View {
	return catalog.View{SQL: v.SQL, Columns: v.Columns}
}
