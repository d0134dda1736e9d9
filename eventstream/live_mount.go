package eventstream

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/streamsql/streamsql/eventstream/live"
)

// DefaultMaxLiveQueries bounds the distinct live queries a server runs at
// once (subscribers of a running query always join it).
const DefaultMaxLiveQueries = 256

// mountLive starts the live-query manager over the server's engine and
// serves it at /live, authorised like /query: the token needs read
// scope on every topic the query reads.
func (s *Server) mountLive() {
	s.live = live.NewManager(s.engine, live.Options{MaxJobs: s.cfg.MaxLiveQueries})
	s.mux.Handle("/live", live.Handler(s.live, live.HandlerOptions{
		OriginPatterns: s.cfg.AllowOrigins,
		Authorize: func(r *http.Request, tables []string) error {
			err := s.AuthorizeTables(r, tables)
			if errors.Is(err, ErrForbidden) {
				return fmt.Errorf("%w: %w", live.ErrForbidden, err)
			}
			return err
		},
	}))
}

// Live is the server's live-query manager: Subscribe runs continuous SQL
// over the topics (what /live serves over WebSocket).
func (s *Server) Live() *live.Manager { return s.live }
