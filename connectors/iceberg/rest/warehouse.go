package rest

import (
	sqlcat "github.com/apache/iceberg-go/catalog/sql"

	"github.com/streamsql/streamsql/connectors/iceberg"
)

// OpenWarehouse opens the SQL catalog of the local warehouse dir (created
// if needed) through connectors/iceberg.OpenWarehouse, so a served
// warehouse and streamsql jobs share tables. close releases it after
// serving.
func OpenWarehouse(dir string) (cat *sqlcat.Catalog, close func() error, err error) {
	w, err := iceberg.OpenWarehouse(dir)
	if err != nil {
		return nil, nil, err
	}
	return w.Catalog(), w.Close, nil
}
