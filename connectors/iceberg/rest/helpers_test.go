package rest

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	icerest "github.com/apache/iceberg-go/catalog/rest"
	"github.com/apache/iceberg-go/table"
)

// serve starts a handler over a fresh warehouse on loopback and returns its
// URL and the warehouse directory.
func serve(t *testing.T, opts Options) (url, dir string) {
	t.Helper()
	dir = t.TempDir()
	cat, closeCat, err := OpenWarehouse(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewHandler(cat, opts))
	t.Cleanup(func() {
		srv.Close()
		if err := closeCat(); err != nil {
			t.Error(err)
		}
	})
	return srv.URL, dir
}

// client connects iceberg-go's REST catalog client to url.
func client(t *testing.T, url string, opts ...icerest.Option) *icerest.Catalog {
	t.Helper()
	c, err := icerest.NewCatalog(context.Background(), "test", url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

var eventsSchema = iceberg.NewSchema(0,
	iceberg.NestedField{ID: 1, Name: "id", Type: iceberg.PrimitiveTypes.Int64, Required: false},
	iceberg.NestedField{ID: 2, Name: "name", Type: iceberg.PrimitiveTypes.String, Required: false},
)

// createEvents creates namespace ns and table ns.events through c.
func createEvents(t *testing.T, c *icerest.Catalog, ns string) *table.Table {
	t.Helper()
	ctx := context.Background()
	if err := c.CreateNamespace(ctx, table.Identifier{ns}, iceberg.Properties{"owner": "test"}); err != nil {
		t.Fatal(err)
	}
	tbl, err := c.CreateTable(ctx, table.Identifier{ns, "events"}, eventsSchema)
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// appendRows appends n rows (ids from first) to tbl in one transaction.
func appendRows(t *testing.T, tbl *table.Table, first, n int64) (*table.Table, error) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	for i := first; i < first+n; i++ {
		b.Field(0).(*array.Int64Builder).Append(i)
		b.Field(1).(*array.StringBuilder).Append("e")
	}
	rec := b.NewRecordBatch()
	b.Release()
	rdr, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}
	tx := tbl.NewTransaction()
	err = tx.Append(context.Background(), rdr, nil)
	rdr.Release()
	if err != nil {
		t.Fatal(err)
	}
	mem.AssertSize(t, 0)
	return tx.Commit(context.Background())
}

// countRows scans tbl and counts its rows.
func countRows(t *testing.T, tbl *table.Table) int64 {
	t.Helper()
	at, err := tbl.Scan().ToArrowTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer at.Release()
	return at.NumRows()
}
