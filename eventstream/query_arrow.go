//go:build !js

package eventstream

import (
	"bytes"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	streamsql "github.com/streamsql/streamsql"
)

// arrowReply answers with the result as an Arrow IPC stream, columns
// named as in the query.
func arrowReply(res *streamsql.Result) Reply {
	fields := make([]arrow.Field, res.Schema.NumFields())
	for i, f := range res.Schema.Fields() {
		if i < len(res.Names) {
			f.Name = res.Names[i]
		}
		fields[i] = f
	}
	schema := arrow.NewSchema(fields, nil)
	var buf bytes.Buffer
	iw := ipc.NewWriter(&buf, ipc.WithSchema(schema))
	for _, b := range res.Batches {
		renamed := array.NewRecordBatch(schema, b.Columns(), b.NumRows())
		err := iw.Write(renamed)
		renamed.Release()
		if err != nil {
			return errorReply(statusInternalServerError, "encoding the answer as Arrow IPC: "+err.Error())
		}
	}
	if err := iw.Close(); err != nil {
		return errorReply(statusInternalServerError, "encoding the answer as Arrow IPC: "+err.Error())
	}
	return Reply{Status: statusOK, Header: [][2]string{{"Content-Type", ArrowStreamType}}, Body: buf.Bytes()}
}
