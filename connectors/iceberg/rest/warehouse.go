package rest

import (
	icecat "github.com/apache/iceberg-go/catalog"

	"github.com/streamsql/streamsql/connectors/iceberg"
)

// OpenWarehouse opens the SQL catalog of the local warehouse dir (created
// if needed) through connectors/iceberg.OpenWarehouse, so a served
// warehouse and streamsql jobs share tables. close releases it after
// serving.
func OpenWarehouse(dir string) (cat icecat.Catalog, close func() error, err error) {
	w, err := iceberg.OpenWarehouse(dir)
	if err != nil {
		return nil, nil, err
	}
	return w.Catalog(), w.Close, nil
}
