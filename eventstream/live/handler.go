//go:build !js

package live

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// Handler serves live queries over WebSocket (mount it at /live): see the
// wire protocol in the package comment. Each connection is one
// subscription of m.
func Handler(m *Manager, opts HandlerOptions) http.Handler {
	return &handler{m: m, opts: opts.withDefaults()}
}

type handler struct {
	m    *Manager
	opts HandlerOptions
}

// closing is how a connection ends: its close code and reason.
type closing struct {
	code   websocket.StatusCode
	reason string
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeHTTPError(w, http.StatusMethodNotAllowed, errors.New("live queries take GET with a WebSocket upgrade"))
		return
	}
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		writeHTTPError(w, http.StatusUpgradeRequired, errors.New("live queries need a WebSocket upgrade"))
		return
	}
	sql := r.URL.Query().Get("sql")
	var q *query
	var qerr error
	if sql != "" {
		q, qerr = h.fromURL(r, sql)
	}
	var tables []string
	if q != nil {
		tables = q.tables
	}
	if status, err := h.opts.authorize(r, tables); err != nil {
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="streamsql"`)
		}
		writeHTTPError(w, status, err)
		return
	}
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: h.opts.OriginPatterns})
	if err != nil {
		return // Accept answered the request
	}
	defer conn.CloseNow()
	conn.SetReadLimit(h.opts.MaxMessageBytes)
	ctx := r.Context()
	if sql == "" {
		q, qerr = h.fromFirstFrame(ctx, conn, r)
	}
	if errors.Is(qerr, errAnswered) {
		return
	}
	if qerr != nil { // bad SQL, or (first-frame form) not authorized
		h.fail(ctx, conn, qerr, websocket.StatusPolicyViolation)
		return
	}
	h.stream(ctx, conn, q)
}

// fromURL prepares the query of GET /live?sql=…&params=[…].
func (h *handler) fromURL(r *http.Request, sql string) (*query, error) {
	if int64(len(sql)) > h.opts.MaxMessageBytes {
		return nil, fmt.Errorf("reading request: the SQL is longer than %d bytes", h.opts.MaxMessageBytes)
	}
	params, err := ParseParams([]byte(r.URL.Query().Get("params")))
	if err != nil {
		return nil, err
	}
	return h.m.prepare(sql, params)
}

// fromFirstFrame reads {"sql":…,"params":…}, prepares the query and
// authorizes its tables.
func (h *handler) fromFirstFrame(ctx context.Context, conn *websocket.Conn, r *http.Request) (*query, error) {
	// A read whose context expires closes the connection before an error
	// frame could say why: time out on the side instead.
	timeout := time.AfterFunc(h.opts.FirstFrameTimeout, func() {
		h.fail(ctx, conn, fmt.Errorf("reading request: no request within %s", h.opts.FirstFrameTimeout), websocket.StatusPolicyViolation)
	})
	typ, frame, err := conn.Read(ctx)
	if !timeout.Stop() {
		return nil, errAnswered
	}
	if err != nil {
		return nil, fmt.Errorf("reading request: %w", err)
	}
	if typ != websocket.MessageText {
		return nil, errors.New("reading request: want a text frame")
	}
	req, err := ParseRequest(frame)
	if err != nil {
		return nil, err
	}
	q, err := h.m.prepare(req.SQL, req.Values)
	if err != nil {
		return nil, err
	}
	if _, err := h.opts.authorize(r, q.tables); err != nil {
		return nil, fmt.Errorf("not authorized: %w", err)
	}
	return q, nil
}

// fail sends an error frame and closes the connection.
func (h *handler) fail(ctx context.Context, conn *websocket.Conn, err error, code websocket.StatusCode) {
	h.write(ctx, conn, Update{Err: err})
	_ = conn.Close(code, "error")
}

// stream subscribes the connection to q and pushes updates until the
// client goes away or the subscription ends.
func (h *handler) stream(ctx context.Context, conn *websocket.Conn, q *query) {
	// The client sends nothing more: CloseRead answers pings and closes,
	// and its context ends when the client leaves.
	ctx = conn.CloseRead(ctx)
	ended := make(chan closing, 1)
	deliver := func(u Update) error {
		if u.Err != nil {
			h.write(ctx, conn, u)
			ended <- closeFor(u.Err)
			return nil
		}
		if err := h.write(ctx, conn, u); err != nil {
			if errors.Is(err, errRowTooBig) {
				h.write(ctx, conn, Update{Err: err})
				ended <- closing{websocket.StatusMessageTooBig, "row too big"}
			}
			return err
		}
		return nil
	}
	cancel, err := h.m.subscribe(ctx, q, deliver)
	if err != nil {
		code := websocket.StatusPolicyViolation // the query cannot be planned
		switch {
		case errors.Is(err, ErrClosed):
			code = websocket.StatusGoingAway
		case errors.Is(err, ErrTooManyJobs):
			code = websocket.StatusTryAgainLater
		}
		h.fail(ctx, conn, err, code)
		return
	}
	defer cancel()
	ping := time.NewTicker(h.opts.PingInterval)
	defer ping.Stop()
	for {
		select {
		case c := <-ended:
			_ = conn.Close(c.code, c.reason)
			return
		case <-ctx.Done():
			return
		case <-ping.C:
			// A peer that vanished without closing never fails a write
			// while the query is quiet: probe it.
			pctx, cancelPing := context.WithTimeout(ctx, h.opts.WriteTimeout)
			err := conn.Ping(pctx)
			cancelPing()
			if err != nil {
				cancel() // now: a close handshake with a dead peer would wait
				_ = conn.CloseNow()
				return
			}
		}
	}
}

// closeFor picks the close code for the end of a subscription.
func closeFor(err error) closing {
	switch {
	case errors.Is(err, ErrInputEnded):
		return closing{websocket.StatusNormalClosure, "input ended"}
	case errors.Is(err, ErrSlowConsumer):
		return closing{websocket.StatusTryAgainLater, "too slow"}
	case errors.Is(err, ErrClosed):
		return closing{websocket.StatusGoingAway, "server closing"}
	default:
		return closing{websocket.StatusInternalError, "query failed"}
	}
}

// errAnswered says the error was already sent and the connection closed.
var errAnswered = errors.New("live query: request already answered")

// errRowTooBig is returned when one row does not fit in a frame.
var errRowTooBig = errors.New("live query: a result row is larger than the frame limit")

// write sends u as frames of at most MaxFrameBytes, splitting its rows.
func (h *handler) write(ctx context.Context, conn *websocket.Conn, u Update) error {
	return h.writeRows(ctx, conn, u, 0, max(len(u.Rows), 1))
}

func (h *handler) writeRows(ctx context.Context, conn *websocket.Conn, u Update, from, to int) error {
	if u.Err == nil {
		to = min(to, len(u.Rows))
	}
	frame := u.appendFrame(nil, from, to)
	if len(frame) > h.opts.MaxFrameBytes && u.Err == nil {
		if to-from <= 1 {
			return errRowTooBig
		}
		mid := from + (to-from)/2
		if err := h.writeRows(ctx, conn, u, from, mid); err != nil {
			return err
		}
		return h.writeRows(ctx, conn, u, mid, to)
	}
	wctx, cancel := context.WithTimeout(ctx, h.opts.WriteTimeout)
	defer cancel()
	if err := conn.Write(wctx, websocket.MessageText, frame); err != nil {
		return fmt.Errorf("writing live update: %w", err)
	}
	return nil
}
