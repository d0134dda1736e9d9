//go:build !js

package live

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

// WebSocket clients of the tests (the js build has no WebSocket client).

// frame is a decoded wire frame.
type frame struct {
	Columns  []string `json:"columns"`
	Rows     [][]any  `json:"rows"`
	Ops      []string `json:"ops"`
	Snapshot bool     `json:"snapshot"`
	Error    string   `json:"error"`
}

// lines renders a frame's rows as "+ v1 v2" / "- v1 v2" (+ for append-only).
func (fr frame) lines() []string {
	out := make([]string, len(fr.Rows))
	for i, row := range fr.Rows {
		op := "+"
		if fr.Ops != nil && fr.Ops[i] == "delete" {
			op = "-"
		}
		parts := []string{op}
		for _, v := range row {
			parts = append(parts, fmt.Sprint(v))
		}
		out[i] = strings.Join(parts, " ")
	}
	return out
}

// client is a WebSocket client of the live handler.
type client struct {
	t    testing.TB
	conn *websocket.Conn
}

// dial connects to srv with sql (and params) in the URL; sql "" sends
// nothing.
func dial(t testing.TB, srv *httptest.Server, sql string, params string) *client {
	t.Helper()
	q := url.Values{}
	if sql != "" {
		q.Set("sql", sql)
	}
	if params != "" {
		q.Set("params", params)
	}
	c, err := tryDial(srv, q)
	if err != nil {
		t.Fatal(err)
	}
	return c.withT(t)
}

// tryDial connects to srv's /live with the query string q.
func tryDial(srv *httptest.Server, q url.Values) (*client, error) {
	u := "ws" + strings.TrimPrefix(srv.URL, "http") + "/live"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: smallBufClient})
	if err != nil {
		if resp != nil {
			return nil, &dialError{status: resp.StatusCode, challenge: resp.Header.Get("WWW-Authenticate"), err: err}
		}
		return nil, err
	}
	conn.SetReadLimit(16 << 20)
	return &client{conn: conn}, nil
}

// smallBufClient dials with a small receive buffer (see smallServer).
var smallBufClient = &http.Client{Transport: &http.Transport{
	DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(8 << 10)
		}
		return c, err
	},
}}

type dialError struct {
	status    int
	challenge string
	err       error
}

func (e *dialError) Error() string { return fmt.Sprintf("HTTP %d: %v", e.status, e.err) }

func (c *client) withT(t testing.TB) *client {
	c.t = t
	t.Cleanup(func() { c.conn.CloseNow() })
	return c
}

// send writes a text frame.
func (c *client) send(msg string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		c.t.Fatal(err)
	}
}

// next reads and decodes one frame.
func (c *client) next() frame {
	c.t.Helper()
	fr, err := c.read()
	if err != nil {
		c.t.Fatal(err)
	}
	return fr
}

func (c *client) read() (frame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	typ, data, err := c.conn.Read(ctx)
	if err != nil {
		return frame{}, err
	}
	if typ != websocket.MessageText {
		return frame{}, fmt.Errorf("got a %v frame", typ)
	}
	var fr frame
	if err := json.Unmarshal(data, &fr); err != nil {
		return frame{}, fmt.Errorf("decoding %s: %w", data, err)
	}
	return fr, nil
}

// closeStatus reads until the connection closes and returns its code.
func (c *client) closeStatus() websocket.StatusCode {
	c.t.Helper()
	for {
		if _, err := c.read(); err != nil {
			return websocket.CloseStatus(err)
		}
	}
}
