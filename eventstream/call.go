package eventstream

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strings"
)

// Call is one request to the server's HTTP API as a transport hands it
// over: Server.ServeHTTP builds one from net/http, a Durable Object host
// from its fetch event. Serve answers it without net/http, so the
// WebAssembly build links neither net/http nor the TLS stack under it
// (a tenth of the gzipped module, and part of its cold start).
type Call struct {
	Method string
	Host   string // the request's host[:port], what a browser's Origin is checked against
	Path   string // the URL's path: "/events", "/query"
	Query  url.Values
	// Header looks up a request header; http.Header satisfies it.
	Header interface{ Get(key string) string }
	// Body is the request body; nil reads as empty. Serve reads at most
	// the endpoint's limit plus one byte.
	Body io.Reader
	// ContentLength is the declared length of Body, -1 when unknown.
	ContentLength int64
}

// Reply is Serve's answer: a status, headers and the whole body.
type Reply struct {
	Status int
	Header [][2]string
	Body   []byte
}

// HTTP statuses of the API, named as in net/http (not imported here).
const (
	statusOK                  = 200
	statusBadRequest          = 400
	statusUnauthorized        = 401
	statusForbidden           = 403
	statusNotFound            = 404
	statusMethodNotAllowed    = 405
	statusNotAcceptable       = 406
	statusRequestTooLarge     = 413
	statusUpgradeRequired     = 426
	statusServiceUnavailable  = 503
	statusInternalServerError = 500
)

// Serve answers a call to /events (POST ingests; WebSocket upgrades
// belong to the transport: ServeHTTP, or a Durable Object's sockets) or
// /query. Safe for concurrent use.
func (s *Server) Serve(ctx context.Context, c Call) Reply {
	switch c.Path {
	case "/events":
		return s.serveEvents(ctx, c)
	case "/query":
		return s.serveQuery(ctx, c)
	}
	return errorReply(statusNotFound, "no endpoint "+c.Path+": use /events, /query or /live")
}

// bearer returns the call's token: the Authorization header, or the
// access_token query parameter for browser WebSockets, which cannot set
// headers. "" when there is none.
func (c Call) bearer() string {
	if c.Header != nil {
		if h := c.Header.Get("Authorization"); h != "" {
			if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
				return strings.TrimSpace(tok)
			}
			return ""
		}
	}
	return c.Query.Get("access_token")
}

// header returns the named header, "" without one.
func (c Call) header(key string) string {
	if c.Header == nil {
		return ""
	}
	return c.Header.Get(key)
}

// errTooLarge: a body passed its endpoint's limit.
var errTooLarge = errors.New("request body too large")

// readBody reads the call's body, refusing one over limit bytes.
func (c Call) readBody(limit int64) ([]byte, error) {
	if c.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(c.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}

// errorReply answers {"error": msg}.
func errorReply(status int, msg string) Reply {
	return jsonReply(status, map[string]string{"error": msg})
}

// jsonReply answers v as JSON, one line.
func jsonReply(status int, v any) Reply {
	b, err := json.Marshal(v)
	if err != nil {
		return errorReply(statusInternalServerError, "encoding the answer: "+err.Error())
	}
	return Reply{Status: status, Header: [][2]string{{"Content-Type", "application/json"}}, Body: append(b, '\n')}
}

// authReply answers an authorization failure: 401 with a Bearer
// challenge, or 403.
func authReply(err error) Reply {
	if errors.Is(err, ErrUnauthorized) {
		return ErrorReply(statusUnauthorized, err)
	}
	return ErrorReply(statusForbidden, err)
}

// ErrorReply is the API's refusal, {"error": …}, with a Bearer challenge
// on 401: for hosts that answer part of the API themselves (a Durable
// Object's WebSocket handshakes).
func ErrorReply(status int, err error) Reply {
	r := errorReply(status, err.Error())
	if status == statusUnauthorized {
		r.Header = append(r.Header, [2]string{"WWW-Authenticate", `Bearer realm="streamsql"`})
	}
	return r
}
