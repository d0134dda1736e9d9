package rest

import (
	"context"
	"errors"
	"iter"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/iceberg-go"
	icecat "github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
)

var errBoom = errors.New("boom")

// faultCatalog fails every call the handler makes except LoadTable, which
// it delegates (so commits reach CommitTable) unless failLoad is set.
type faultCatalog struct {
	icecat.Catalog
	failLoad bool
}

func (f faultCatalog) ListNamespaces(context.Context, table.Identifier) ([]table.Identifier, error) {
	return nil, errBoom
}
func (f faultCatalog) CreateNamespace(context.Context, table.Identifier, iceberg.Properties) error {
	return errBoom
}
func (f faultCatalog) LoadNamespaceProperties(context.Context, table.Identifier) (iceberg.Properties, error) {
	return nil, errBoom
}
func (f faultCatalog) CheckNamespaceExists(context.Context, table.Identifier) (bool, error) {
	return false, errBoom
}
func (f faultCatalog) DropNamespace(context.Context, table.Identifier) error { return errBoom }
func (f faultCatalog) ListTables(context.Context, table.Identifier) iter.Seq2[table.Identifier, error] {
	return func(yield func(table.Identifier, error) bool) { yield(nil, errBoom) }
}
func (f faultCatalog) CreateTable(context.Context, table.Identifier, *iceberg.Schema, ...icecat.CreateTableOpt) (*table.Table, error) {
	return nil, errBoom
}
func (f faultCatalog) LoadTable(ctx context.Context, id table.Identifier) (*table.Table, error) {
	if f.failLoad {
		return nil, errBoom
	}
	return f.Catalog.LoadTable(ctx, id)
}
func (f faultCatalog) CheckTableExists(context.Context, table.Identifier) (bool, error) {
	return false, errBoom
}
func (f faultCatalog) DropTable(context.Context, table.Identifier) error { return errBoom }
func (f faultCatalog) CommitTable(context.Context, table.Identifier, []table.Requirement, []table.Update) (table.Metadata, string, error) {
	return nil, "", errBoom
}

func TestCatalogFailuresAre500(t *testing.T) {
	// A real table, so commits pass LoadTable and reach CommitTable.
	dir := t.TempDir()
	cat, closeCat, err := OpenWarehouse(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer closeCat()
	ctx := context.Background()
	if err := cat.CreateNamespace(ctx, table.Identifier{"a"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.CreateTable(ctx, table.Identifier{"a", "t"}, eventsSchema); err != nil {
		t.Fatal(err)
	}
	schema := `{"name":"t","schema":{"type":"struct","schema-id":0,"fields":[{"id":1,"name":"id","type":"long","required":false}]}}`
	routes := []struct{ method, path, body string }{
		{"GET", "/v1/namespaces", ""},
		{"POST", "/v1/namespaces", `{"namespace":["b"]}`},
		{"GET", "/v1/namespaces/a", ""},
		{"DELETE", "/v1/namespaces/a", ""},
		{"GET", "/v1/namespaces/a/tables", ""},
		{"POST", "/v1/namespaces/a/tables", schema},
		{"GET", "/v1/namespaces/a/tables/t", ""},
		{"DELETE", "/v1/namespaces/a/tables/t", ""},
		{"POST", "/v1/namespaces/a/tables/t", `{"requirements":[],"updates":[]}`},
	}
	for _, failLoad := range []bool{false, true} {
		srv := httptest.NewServer(NewHandler(faultCatalog{Catalog: cat, failLoad: failLoad}, Options{}))
		for _, r := range routes {
			if !failLoad && r.method == "GET" && r.path == "/v1/namespaces/a/tables/t" {
				continue // delegated: it loads
			}
			if code, typ := call(t, r.method, srv.URL+r.path, "", r.body); code != 500 || typ != "ServerError" {
				t.Errorf("failLoad=%v %s %s = %d %s, want 500 ServerError", failLoad, r.method, r.path, code, typ)
			}
		}
		for _, path := range []string{"/v1/namespaces/a", "/v1/namespaces/a/tables/t"} {
			if code, _ := call(t, "HEAD", srv.URL+path, "", ""); code != 500 {
				t.Errorf("HEAD %s = %d, want 500", path, code)
			}
		}
		srv.Close()
	}
}

func TestOpenWarehouseOnAFileFails(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := OpenWarehouse(f); err == nil {
		t.Fatal("opened a warehouse over a file")
	}
}
