//go:build js

package live

import (
	"errors"
	"net/http"
)

// Handler, in the js build, answers 501: the JavaScript host (a Durable
// Object) owns WebSocket upgrades there, and pushes Manager.Subscribe's
// updates (Update.MarshalJSON is the wire frame) to its sockets itself.
func Handler(m *Manager, opts HandlerOptions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeHTTPError(w, http.StatusNotImplemented, errors.New("live queries over WebSocket are served by the JavaScript host in this build"))
	})
}
