//go:build js

package eventstream

import streamsql "github.com/streamsql/streamsql"

// arrowReply refuses Arrow IPC answers in the js/wasm build (the Durable
// Object): Arrow's IPC writer brings zstd and lz4 with it, about 0.45 MB
// of the gzipped module. JSON answers carry the same rows.
func arrowReply(*streamsql.Result) Reply {
	return errorReply(statusNotAcceptable, "Arrow IPC answers are not built into the WebAssembly host: ask for application/json")
}
