//go:build !js

package eventstream

import (
	"net/http"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	streamsql "github.com/streamsql/streamsql"
)

// writeArrow answers with the result as an Arrow IPC stream, columns
// named as in the query.
func writeArrow(w http.ResponseWriter, res *streamsql.Result) {
	fields := make([]arrow.Field, res.Schema.NumFields())
	for i, f := range res.Schema.Fields() {
		if i < len(res.Names) {
			f.Name = res.Names[i]
		}
		fields[i] = f
	}
	schema := arrow.NewSchema(fields, nil)
	w.Header().Set("Content-Type", ArrowStreamType)
	iw := ipc.NewWriter(w, ipc.WithSchema(schema))
	for _, b := range res.Batches {
		renamed := array.NewRecordBatch(schema, b.Columns(), b.NumRows())
		err := iw.Write(renamed)
		renamed.Release()
		if err != nil {
			return // the client went away mid-stream
		}
	}
	iw.Close()
}
