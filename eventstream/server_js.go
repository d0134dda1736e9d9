//go:build js

package eventstream

// muxer: js/wasm has no net/http routes; its host calls Serve and owns
// the WebSockets.
type muxer = struct{}

func newMux() muxer { return muxer{} }

func (s *Server) routes() {}
