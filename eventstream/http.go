package eventstream

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// routes wires the HTTP API.
func (s *Server) routes() {
	s.mux.HandleFunc("/events", s.handleEvents)
	s.mux.HandleFunc("/query", s.handleQuery)
}

// writeError answers with {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // the client may be gone; nothing to do then
}

// handleEvents serves /events: POST ingests, a WebSocket upgrade
// subscribes (and publishes).
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	topic := trimTopic(r)
	if topic == "" {
		writeError(w, http.StatusBadRequest, "missing topic: use /events?topic=NAME")
		return
	}
	if err := checkTopic(topic); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	switch {
	case r.Method == http.MethodPost:
		s.handleIngest(w, r, topic)
	case r.Method == http.MethodGet && isUpgrade(r):
		s.handleWebSocket(w, r, topic)
	case r.Method == http.MethodGet:
		writeError(w, http.StatusUpgradeRequired, "GET /events is a WebSocket endpoint: connect with a WebSocket client")
	default:
		w.Header().Set("Allow", "GET, POST")
		writeError(w, http.StatusMethodNotAllowed, "use POST to ingest or a WebSocket GET to subscribe")
	}
}

// isUpgrade reports a WebSocket handshake.
func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// ingestResponse is the answer to a successful POST /events.
type ingestResponse struct {
	Accepted int      `json:"accepted"`
	IDs      []string `json:"ids"`
}

// handleIngest serves POST /events?topic=T.
func (s *Server) handleIngest(w http.ResponseWriter, r *http.Request, topic string) {
	if err := s.Authorize(r, topic, ScopeWrite); err != nil {
		WriteAuthError(w, err)
		return
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, "request body over the "+strconv.FormatInt(s.cfg.MaxBodyBytes, 10)+"-byte limit")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "request body over the "+strconv.FormatInt(s.cfg.MaxBodyBytes, 10)+"-byte limit")
			return
		}
		writeError(w, http.StatusBadRequest, "reading request body: "+err.Error())
		return
	}
	ids, err := s.ingest(r.Context(), topic, body)
	if err != nil {
		s.writeIngestError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ingestResponse{Accepted: len(ids), IDs: ids})
}

// writeIngestError maps ingest failures to statuses: the client's
// mistakes to 400/413, a closed server or failed log to 503.
func (s *Server) writeIngestError(w http.ResponseWriter, err error) {
	var re *RequestError
	switch {
	case errors.As(err, &re):
		writeError(w, re.Status, re.Msg)
	case errors.Is(err, ErrClosed):
		writeError(w, http.StatusServiceUnavailable, err.Error())
	default:
		s.cfg.Logf("eventstream: ingest failed: %v", err)
		writeError(w, http.StatusServiceUnavailable, "events not accepted: "+err.Error())
	}
}
