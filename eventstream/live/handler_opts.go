//go:build !js

package live

import (
	"errors"
	"net/http"
	"time"
)

// HandlerOptions configure Handler. Zero values take the documented
// defaults.
type HandlerOptions struct {
	// Authorize decides whether r may read tables (the tables the query
	// reads, as the catalog names them). It is called before the
	// WebSocket upgrade; when the SQL comes in the first frame instead of
	// the URL it is called twice: before the upgrade with no tables (may
	// this request connect at all?) and after the frame with the query's
	// tables. Its error message is sent to the client: it must not hold
	// secrets. Nil allows everything.
	Authorize func(r *http.Request, tables []string) error
	// MaxMessageBytes bounds what the client may send: the SQL in the URL
	// and the first frame (default 64 KiB).
	MaxMessageBytes int64
	// MaxFrameBytes bounds the frames the server sends: an update larger
	// than this is split into frames of whole rows; a single row larger
	// than it ends the connection with an error (default 1 MiB).
	MaxFrameBytes int
	// WriteTimeout bounds the writing of one frame; a client that does
	// not read for that long is disconnected (default 10 s).
	WriteTimeout time.Duration
	// PingInterval is how often the server pings a client to notice a
	// peer that vanished; a pong must come within WriteTimeout
	// (default 30 s).
	PingInterval time.Duration
	// FirstFrameTimeout bounds the wait for the {"sql":…} frame when the
	// URL has no sql (default 10 s).
	FirstFrameTimeout time.Duration
	// OriginPatterns lists the other origins (host patterns, as in
	// websocket.AcceptOptions) browsers may connect from; the request's
	// own host is always allowed.
	OriginPatterns []string
}

func (o HandlerOptions) withDefaults() HandlerOptions {
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 64 << 10
	}
	if o.MaxFrameBytes <= 0 {
		o.MaxFrameBytes = 1 << 20
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 30 * time.Second
	}
	if o.FirstFrameTimeout <= 0 {
		o.FirstFrameTimeout = 10 * time.Second
	}
	return o
}

// authorize runs the hook and maps its error to an HTTP status.
func (o HandlerOptions) authorize(r *http.Request, tables []string) (int, error) {
	if o.Authorize == nil {
		return http.StatusOK, nil
	}
	err := o.Authorize(r, tables)
	switch {
	case err == nil:
		return http.StatusOK, nil
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden, err
	default:
		return http.StatusUnauthorized, err
	}
}

// writeHTTPError answers a request that was not upgraded.
func writeHTTPError(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := Update{Err: err}.MarshalJSON()
	_, _ = w.Write(append(b, '\n'))
}
