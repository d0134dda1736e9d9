//go:build !js

package eventstream

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/streamsql/streamsql/eventstream/live"
)

// muxer holds the net/http routes.
type muxer = *http.ServeMux

func newMux() muxer { return http.NewServeMux() }

// routes wires the HTTP API: /events (POST, or a WebSocket), /query and
// /live (a WebSocket per live query, authorised like /query: the token
// needs read scope on every topic the query reads).
func (s *Server) routes() {
	s.mux.HandleFunc("/events", s.handleEvents)
	s.mux.HandleFunc("/query", s.handleCall)
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

// Handle mounts an extra handler (e.g. the Iceberg REST catalog) on the
// server's mux. Call it before serving. The handler does its own
// authorization, with Authorize.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// handleEvents serves /events: a WebSocket upgrade subscribes (and
// publishes), the rest is Serve's.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		topic, refusal, ok := topicOf(r.URL.Query())
		if !ok {
			writeReply(w, refusal)
			return
		}
		s.handleWebSocket(w, r, topic)
		return
	}
	s.handleCall(w, r)
}

// handleCall answers r through Serve.
func (s *Server) handleCall(w http.ResponseWriter, r *http.Request) {
	writeReply(w, s.Serve(r.Context(), callOf(r)))
}

// callOf is r as Serve takes it.
func callOf(r *http.Request) Call {
	return Call{Method: r.Method, Host: r.Host, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header, Body: r.Body, ContentLength: r.ContentLength}
}

// writeReply sends a Reply.
func writeReply(w http.ResponseWriter, r Reply) {
	for _, h := range r.Header {
		w.Header().Add(h[0], h[1])
	}
	w.WriteHeader(r.Status)
	w.Write(r.Body) // the client may be gone; nothing to do then
}

// writeError answers {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeReply(w, errorReply(status, msg))
}

// Authorize checks that the request's bearer token (the Authorization
// header, or access_token for browsers' WebSockets) grants scope on
// topic. With no tokens configured everything is allowed. Errors wrap
// ErrUnauthorized or ErrForbidden and never contain the token.
func (s *Server) Authorize(r *http.Request, topic string, scope Scope) error {
	return s.authorize(callOf(r).bearer(), topic, scope)
}

// AuthorizeTables checks that the request's token may read every table
// (table names are matched like topics): the hook for handlers mounted
// with Handle, such as live queries. With no tables it only checks that
// the token is valid. Errors wrap ErrUnauthorized or ErrForbidden.
func (s *Server) AuthorizeTables(r *http.Request, tables []string) error {
	return s.authorizeTables(callOf(r).bearer(), tables)
}

// WriteAuthError answers an Authorize failure: 401 with a Bearer
// challenge, or 403.
func WriteAuthError(w http.ResponseWriter, err error) { writeReply(w, authReply(err)) }
