package streamsql_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
)

// versionedTable keeps one memory table per version, committed at the
// given microsecond instants.
type versionedTable struct {
	*catalog.MemTable // the current version
	versions          map[int64]*catalog.MemTable
	at                map[int64]int64 // version → commit time (µs)
}

func (v *versionedTable) AsOfVersion(_ context.Context, id int64) (catalog.Table, error) {
	if t, ok := v.versions[id]; ok {
		return t, nil
	}
	return nil, fmt.Errorf("no version %d", id)
}

func (v *versionedTable) AsOfTime(_ context.Context, micros int64) (catalog.Table, error) {
	best, bestAt := int64(-1), int64(-1)
	for id, at := range v.at {
		if at <= micros && at > bestAt {
			best, bestAt = id, at
		}
	}
	if best < 0 {
		return nil, fmt.Errorf("no version at or before %d", micros)
	}
	return v.versions[best], nil
}

func memVersion(t *testing.T, mem memory.Allocator, vals ...int64) *catalog.MemTable {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	b := array.NewInt64Builder(mem)
	b.AppendValues(vals, nil)
	col := b.NewArray()
	b.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(len(vals)))
	col.Release()
	mt := catalog.NewMemTable(schema)
	if err := mt.Append(rec); err != nil {
		t.Fatal(err)
	}
	rec.Release()
	return mt
}

func TestTimeTravel(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	v1, v2 := memVersion(t, mem, 1, 2), memVersion(t, mem, 1, 2, 3, 4)
	defer v1.Release()
	defer v2.Release()
	vt := &versionedTable{MemTable: v2, versions: map[int64]*catalog.MemTable{101: v1, 102: v2},
		at: map[int64]int64{101: 1_700_000_000_000_000, 102: 1_800_000_000_000_000}}
	db := streamsql.New(streamsql.WithAllocator(mem))
	defer db.Close()
	db.RegisterTable("t", vt)
	for _, tc := range []struct{ sql, want string }{
		{`SELECT SUM(x) FROM t`, "10"},
		{`SELECT SUM(x) FROM t FOR SYSTEM_VERSION AS OF 101`, "3"},
		{`SELECT SUM(x) FROM t FOR VERSION AS OF 100 + 2`, "10"},
		{`SELECT SUM(x) FROM t FOR SYSTEM_TIME AS OF TIMESTAMP '2024-01-01 00:00:00'`, "3"},
		{`SELECT SUM(x) FROM t FOR SYSTEM_TIME AS OF '2028-01-01'`, "10"},
		{`SELECT SUM(a.x) + SUM(b.x) FROM t FOR SYSTEM_VERSION AS OF 101 AS a CROSS JOIN t AS b`, "32"},
	} {
		res, err := db.Query(context.Background(), tc.sql)
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		got := res.Batches[0].Column(0).ValueStr(0)
		res.Release()
		if got != tc.want {
			t.Errorf("%s = %s, want %s", tc.sql, got, tc.want)
		}
	}
	for _, tc := range []struct{ sql, want string }{
		{`SELECT * FROM t FOR SYSTEM_VERSION AS OF 7`, `no version 7`},
		{`SELECT * FROM t FOR SYSTEM_TIME AS OF TIMESTAMP '2000-01-01 00:00:00'`, `no version at or before`},
		{`SELECT * FROM t FOR SYSTEM_TIME AS OF 101`, `use FOR SYSTEM_VERSION AS OF`},
		{`SELECT * FROM t FOR SYSTEM_TIME AS OF x`, `column "x" does not exist`},
		{`SELECT * FROM t FOR SYSTEM_VERSION AS OF 'abc'`, `line 1, column 42`},
		{`CREATE VIEW w AS SELECT 1; SELECT * FROM w FOR SYSTEM_VERSION AS OF 1`, `view "w" has no versions`},
	} {
		_, err := db.Exec(context.Background(), tc.sql)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.sql, err, tc.want)
		}
	}
	plain := memVersion(t, mem, 1)
	defer plain.Release()
	db.RegisterTable("p", plain)
	if _, err := db.Query(context.Background(), `SELECT * FROM p FOR SYSTEM_VERSION AS OF 1`); err == nil || !strings.Contains(err.Error(), "keeps no versions") {
		t.Errorf("unversioned table: %v", err)
	}
}
