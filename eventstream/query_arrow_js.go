//go:build js

package eventstream

import (
	"net/http"

	streamsql "github.com/streamsql/streamsql"
)

// writeArrow refuses Arrow IPC answers in the js/wasm build (the Durable
// Object): Arrow's IPC writer brings zstd and lz4 with it, about 0.45 MB
// of the gzipped module, which Workers' 3 MB limit cannot spare. JSON
// answers are the same rows.
func writeArrow(w http.ResponseWriter, _ *streamsql.Result) {
	writeError(w, http.StatusNotAcceptable, "Arrow IPC answers are not built into the WebAssembly host: ask for application/json")
}
