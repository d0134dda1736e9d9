package rest

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	ice "github.com/apache/iceberg-go"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	_ "modernc.org/sqlite" // the pure-Go "sqlite" database/sql driver
)

// OpenWarehouse opens the SQL catalog of the local warehouse dir (created
// if needed) the way connectors/iceberg.OpenWarehouse does — same
// catalog.db, catalog name and warehouse location — so a served warehouse
// and streamsql jobs share tables. close releases it after serving.
func OpenWarehouse(dir string) (cat *sqlcat.Catalog, close func() error, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("opening warehouse %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, nil, fmt.Errorf("opening warehouse %s: %w", dir, err)
	}
	// WAL and a busy timeout let the server and jobs in other processes
	// queue on the SQLite lock instead of failing with BUSY.
	dsn := "file:" + filepath.Join(abs, "catalog.db") +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("opening warehouse %s: %w", dir, err)
	}
	warehouse := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	cat, err = sqlcat.NewCatalog("streamsql", db, sqlcat.SQLite, ice.Properties{"warehouse": warehouse})
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("opening warehouse %s: %w", dir, err)
	}
	close = func() error {
		cerr := cat.Close()
		if err := db.Close(); err != nil && cerr == nil {
			cerr = err
		}
		if cerr != nil {
			return fmt.Errorf("closing warehouse %s: %w", dir, cerr)
		}
		return nil
	}
	return cat, close, nil
}
