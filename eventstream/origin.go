package eventstream

import (
	"fmt"
	"net/url"
	"path"
	"strings"
)

// CheckOrigin applies Config.AllowOrigins to a WebSocket handshake for
// hosts that accept sockets themselves (a Durable Object): a browser's
// Origin must be the request's own host or match a pattern; clients that
// send no Origin (not browsers) pass. The error wraps ErrForbidden (403).
// `streamsql serve` applies the same rule through its WebSocket library.
func (s *Server) CheckOrigin(c Call) error {
	origin := c.header("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%w: request Origin %q is not a URL with a host", ErrForbidden, origin)
	}
	if strings.EqualFold(u.Host, c.Host) {
		return nil
	}
	for _, p := range s.cfg.AllowOrigins {
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(u.Host)); ok {
			return nil
		}
	}
	return fmt.Errorf("%w: request Origin %q is not allowed for host %q", ErrForbidden, origin, c.Host)
}
