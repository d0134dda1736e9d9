package eventstream

import "github.com/streamsql/streamsql/eventstream/live"

// DefaultMaxLiveQueries bounds the distinct live queries a server runs at
// once (subscribers of a running query always join it).
const DefaultMaxLiveQueries = 256

// Live is the server's live-query manager: Subscribe runs continuous SQL
// over the topics (what /live serves over WebSocket).
func (s *Server) Live() *live.Manager { return s.live }
