package eventstream

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
)

// topicOf reads and checks the topic query parameter; ok is false with
// the refusal to send.
func topicOf(q url.Values) (topic string, refusal Reply, ok bool) {
	topic = strings.TrimSpace(q.Get("topic"))
	if topic == "" {
		return "", errorReply(statusBadRequest, "missing topic: use /events?topic=NAME"), false
	}
	if err := checkTopic(topic); err != nil {
		return "", errorReply(statusBadRequest, err.Error()), false
	}
	return topic, Reply{}, true
}

// serveEvents serves /events without its WebSocket upgrade: POST
// ingests.
func (s *Server) serveEvents(ctx context.Context, c Call) Reply {
	topic, refusal, ok := topicOf(c.Query)
	if !ok {
		return refusal
	}
	switch c.Method {
	case "POST":
		return s.serveIngest(ctx, c, topic)
	case "GET":
		return errorReply(statusUpgradeRequired, "GET /events is a WebSocket endpoint: connect with a WebSocket client")
	}
	r := errorReply(statusMethodNotAllowed, "use POST to ingest or a WebSocket GET to subscribe")
	r.Header = append(r.Header, [2]string{"Allow", "GET, POST"})
	return r
}

// ingestResponse is the answer to a successful POST /events.
type ingestResponse struct {
	Accepted int      `json:"accepted"`
	IDs      []string `json:"ids"`
}

// serveIngest serves POST /events?topic=T.
func (s *Server) serveIngest(ctx context.Context, c Call, topic string) Reply {
	if err := s.authorize(c.bearer(), topic, ScopeWrite); err != nil {
		return authReply(err)
	}
	tooBig := "request body over the " + strconv.FormatInt(s.cfg.MaxBodyBytes, 10) + "-byte limit"
	if c.ContentLength > s.cfg.MaxBodyBytes {
		return errorReply(statusRequestTooLarge, tooBig)
	}
	body, err := c.readBody(s.cfg.MaxBodyBytes)
	if errors.Is(err, errTooLarge) {
		return errorReply(statusRequestTooLarge, tooBig)
	}
	if err != nil {
		return errorReply(statusBadRequest, "reading request body: "+err.Error())
	}
	ids, err := s.ingest(ctx, topic, body)
	if err != nil {
		return s.ingestErrorReply(err)
	}
	return jsonReply(statusOK, ingestResponse{Accepted: len(ids), IDs: ids})
}

// ingestErrorReply maps ingest failures to statuses: the client's
// mistakes to 400/413, a closed server or failed log to 503.
func (s *Server) ingestErrorReply(err error) Reply {
	var re *RequestError
	switch {
	case errors.As(err, &re):
		return errorReply(re.Status, re.Msg)
	case errors.Is(err, ErrClosed):
		return errorReply(statusServiceUnavailable, err.Error())
	}
	s.cfg.Logf("eventstream: ingest failed: %v", err)
	return errorReply(statusServiceUnavailable, "events not accepted: "+err.Error())
}
