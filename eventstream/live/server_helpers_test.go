//go:build !js

package live

import (
	"net"
	"net/http/httptest"
)

// server serves Handler(f.m, opts) over real HTTP.
func (f *fixture) server(opts HandlerOptions) *httptest.Server {
	srv := httptest.NewServer(Handler(f.m, opts))
	f.t.Cleanup(srv.Close)
	return srv
}

// smallServer is server with small socket buffers on the server's side,
// so that a client that stops reading blocks the server's writes after a
// few KiB instead of the megabytes loopback autotuning allows.
func (f *fixture) smallServer(opts HandlerOptions) *httptest.Server {
	srv := httptest.NewUnstartedServer(Handler(f.m, opts))
	srv.Listener = smallBufListener{srv.Listener}
	srv.Start()
	f.t.Cleanup(srv.Close)
	return srv
}

type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(8 << 10)
		_ = tc.SetReadBuffer(8 << 10)
	}
	return c, err
}
