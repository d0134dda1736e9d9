package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/streamsql/streamsql/eventstream"
	"github.com/streamsql/streamsql/eventstream/live"
)

// WebSocket close codes the host uses (RFC 6455).
const (
	closeNormal        = 1000
	closeGoingAway     = 1001
	closeInvalidData   = 1007
	closePolicy        = 1008
	closeTooBig        = 1009
	closeInternalError = 1011
	closeTryAgainLater = 1013
)

// Kinds of socket.
const (
	kindEvents = "events" // GET /events?topic=T: events out, published events in
	kindLive   = "live"   // GET /live: one live query's updates
)

// Attachment is what the Durable Object keeps with each hibernatable
// WebSocket (serializeAttachment): enough to resume the socket after the
// object wakes with an empty memory, and no secret — the token's grants,
// not the token.
type Attachment struct {
	Kind  string `json:"kind"`
	Topic string `json:"topic,omitempty"`
	// From is an events socket's from= (see eventstream.Server.Tail) until
	// its replay has begun, then "" (new events): what a woken object
	// resubscribes it with.
	From  string `json:"from,omitempty"`
	Read  bool   `json:"read,omitempty"`
	Write bool   `json:"write,omitempty"`
	// ReadTopics are the topic globs a live socket's token may read; nil
	// when authentication is off.
	ReadTopics []string `json:"readTopics,omitempty"`
	// SQL and Params are a live socket's query; empty SQL means it comes
	// in the first frame.
	SQL    string          `json:"sql,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
}

// Accepted answers a WebSocket handshake: Status 101 with the attachment
// to upgrade, anything else is the refusal to send.
type Accepted struct {
	Status     int         `json:"status"`
	Attachment *Attachment `json:"attachment,omitempty"`
	Refusal    *Response   `json:"-"`
}

// AcceptSocket decides a WebSocket handshake on /events or /live, with
// the same rules as `streamsql serve`: 401 without a known token, 403
// without a scope on the topic (or the live query's tables).
func (h *Host) AcceptSocket(ctx context.Context, r Request) Accepted {
	c, err := r.call()
	if err != nil {
		return refuse(statusBadRequest, err)
	}
	if err := h.srv.CheckOrigin(c); err != nil {
		return refuse(statusForbidden, err)
	}
	switch c.Path {
	case "/events":
		return h.acceptEvents(c)
	case "/live":
		return h.acceptLive(c)
	}
	return refuse(statusNotFound, errors.New("no WebSocket endpoint here: use /events?topic=T or /live"))
}

func refuse(status int, err error) Accepted {
	resp := errorResponse(status, err)
	return Accepted{Status: status, Refusal: &resp}
}

func (h *Host) acceptEvents(c eventstream.Call) Accepted {
	topic := strings.TrimSpace(c.Query.Get("topic"))
	if topic == "" {
		return refuse(statusBadRequest, errors.New("missing topic: use /events?topic=NAME"))
	}
	att := &Attachment{Kind: kindEvents, Topic: topic, From: c.Query.Get("from"), Read: true, Write: true}
	if rules, on := h.srv.TokenRules(c); on {
		if len(rules) == 0 {
			return refuse(statusUnauthorized, eventstream.ErrUnauthorized)
		}
		g := eventstream.Granted(rules, topic)
		att.Read, att.Write = g&eventstream.ScopeRead != 0, g&eventstream.ScopeWrite != 0
		if !att.Read && !att.Write {
			return refuse(statusForbidden, fmt.Errorf("%w: no read or write scope on topic %q", eventstream.ErrForbidden, topic))
		}
	}
	if att.Read { // a bad topic or from= is refused before the upgrade
		cur, err := h.srv.Tail(topic, att.From)
		if err != nil {
			return refuse(statusBadRequest, err)
		}
		_ = cur // Tail only validates; the socket opens its own cursor
	}
	return Accepted{Status: statusSwitchingProtocols, Attachment: att}
}

func (h *Host) acceptLive(c eventstream.Call) Accepted {
	att := &Attachment{Kind: kindLive, SQL: c.Query.Get("sql")}
	if p := c.Query.Get("params"); p != "" {
		att.Params = json.RawMessage(p)
	}
	if rules, on := h.srv.TokenRules(c); on {
		if len(rules) == 0 {
			return refuse(statusUnauthorized, eventstream.ErrUnauthorized)
		}
		for _, r := range rules {
			if r.Scopes&eventstream.ScopeRead != 0 {
				att.ReadTopics = append(att.ReadTopics, r.Topics)
			}
		}
		if len(att.ReadTopics) == 0 {
			return refuse(statusForbidden, fmt.Errorf("%w: no read scope on any topic", eventstream.ErrForbidden))
		}
	}
	if att.SQL != "" {
		params, err := live.ParseParams(att.Params)
		if err != nil {
			return refuse(statusBadRequest, err)
		}
		if denied := h.deniedTables(att, params); len(denied) > 0 {
			return refuse(statusForbidden, fmt.Errorf("%w: %w", live.ErrForbidden, eventstream.NoReadScope(denied[0])))
		}
	}
	return Accepted{Status: statusSwitchingProtocols, Attachment: att}
}

// socket is one open WebSocket's subscription.
type socket struct {
	id    string
	att   Attachment
	limit *eventstream.RateLimiter

	mu      sync.Mutex
	cancel  func()
	stopped bool
	group   *fanout // the topic's group, once the socket caught up and joined it
}

// setCancel records how to end the subscription; a socket stopped
// before that ends it at once.
func (s *socket) setCancel(cancel func()) {
	s.mu.Lock()
	stopped := s.stopped
	s.cancel = cancel
	s.mu.Unlock()
	if stopped {
		cancel()
	}
}

// stop ends the subscription (once): its own cursor, then its place in
// the topic's group (which a cursor catching up may take until the end).
func (s *socket) stop() {
	s.mu.Lock()
	cancel := s.cancel
	already := s.stopped
	s.stopped = true
	s.mu.Unlock()
	if already {
		return
	}
	if cancel != nil {
		cancel()
	}
	s.mu.Lock()
	g := s.group
	s.group = nil
	s.mu.Unlock()
	if g != nil {
		g.leave(s.id)
	}
}

// OpenSocket starts an accepted (or, after a wake, resumed) socket: an
// events socket streams its topic from att.From; a live socket with its
// SQL subscribes to the query.
func (h *Host) OpenSocket(id string, att Attachment) error {
	s := &socket{id: id, att: att, limit: eventstream.NewRateLimiter(h.srv.Config().WSMessageRate, time.Now())}
	h.mu.Lock()
	if old := h.sockets[id]; old != nil {
		h.mu.Unlock()
		return fmt.Errorf("opening socket %s: already open", id)
	}
	h.sockets[id] = s
	h.mu.Unlock()
	switch {
	case att.Kind == kindEvents && att.Read:
		return h.streamEvents(s)
	case att.Kind == kindLive && att.SQL != "":
		params, err := live.ParseParams(att.Params)
		if err != nil {
			h.failSocket(s, err, closePolicy)
			return nil
		}
		h.subscribeLive(s, params)
	}
	return nil
}

// streamEvents sends the topic's events, replay then tail, until the
// socket closes or falls behind. A socket with nothing to replay joins
// the topic's group at once; one replaying reads its own cursor until it
// has caught up with the group, then joins it.
func (h *Host) streamEvents(s *socket) error {
	cur, err := h.srv.Tail(s.att.Topic, s.att.From)
	if err != nil {
		h.failSocket(s, err, closePolicy)
		return nil
	}
	if joined, err := h.join(s, cur.Seq()); err != nil || joined {
		if err != nil {
			h.failSocket(s, err, closeInternalError)
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if cur.Buffered() == 0 {
				joined, err := h.join(s, cur.Seq())
				if err != nil {
					h.failSocket(s, err, closeInternalError)
				}
				if err != nil || joined {
					return
				}
			}
			ev, err := cur.Next(ctx)
			switch {
			case errors.Is(err, eventstream.ErrFellBehind):
				h.closeSocket(s, closePolicy, "subscriber too slow: fell behind the newest events")
				return
			case errors.Is(err, io.EOF):
				h.closeSocket(s, closeGoingAway, "server shutting down")
				return
			case err != nil:
				return // cancelled: the socket closed
			}
			h.peer.Send(s.id, string(ev.Frame), ev.ID)
		}
	}()
	s.setCancel(func() { cancel(); <-done })
	return nil
}

// failSocket sends an error frame and closes the socket.
func (h *Host) failSocket(s *socket, err error, code int) {
	frame, _ := live.Update{Err: err}.MarshalJSON() // cannot fail
	h.peer.Send(s.id, string(frame), "")
	h.closeSocket(s, code, "error")
}

// closeSocket closes a socket from the server side and forgets it.
func (h *Host) closeSocket(s *socket, code int, reason string) {
	h.forget(s.id)
	h.peer.Close(s.id, code, reason)
}

// forget drops a socket from the table.
func (h *Host) forget(id string) *socket {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.sockets[id]
	delete(h.sockets, id)
	return s
}

// SocketClosed ends a socket's subscription: the client went away.
func (h *Host) SocketClosed(id string) {
	if s := h.forget(id); s != nil {
		s.stop()
	}
}

// SocketMessage handles a text frame from a client: an event to publish
// on an events socket, the {"sql","params"} request on a live socket
// opened without SQL. It returns the attachment to store when it changed.
func (h *Host) SocketMessage(ctx context.Context, id, text string) (*Attachment, error) {
	h.mu.Lock()
	s := h.sockets[id]
	h.mu.Unlock()
	if s == nil {
		return nil, fmt.Errorf("handling a frame of socket %s: not open", id)
	}
	if s.att.Kind == kindLive {
		return h.liveRequest(s, text)
	}
	h.publish(ctx, s, text)
	return nil, nil
}

// publish ingests one event sent on an events socket, closing the socket
// as `streamsql serve` does when it breaks a rule.
func (h *Host) publish(ctx context.Context, s *socket, text string) {
	switch {
	case !s.att.Write:
		h.closeSocketStopping(s, closePolicy, "token has no write scope on this topic")
		return
	case !s.limit.Allow(time.Now()):
		h.closeSocketStopping(s, closePolicy, "publish rate limit exceeded")
		return
	}
	if int64(len(text)) > h.srv.Config().MaxEventBytes {
		h.closeSocketStopping(s, closeTooBig, "event too large")
		return
	}
	// A frame holds an object, an array of objects or JSONL, as with
	// `streamsql serve`: all of it is stored, or none.
	if _, err := h.srv.Ingest(ctx, s.att.Topic, []byte(text)); err != nil {
		var re *eventstream.RequestError
		switch {
		case errors.As(err, &re):
			h.closeSocketStopping(s, closeInvalidData, truncate(re.Msg, 100))
		case errors.Is(err, eventstream.ErrClosed):
			h.closeSocketStopping(s, closeGoingAway, "server shutting down")
		default:
			h.srv.Config().Logf("eventstream-wasm: publish to %s failed: %v", s.att.Topic, err)
			h.closeSocketStopping(s, closeInternalError, "events not accepted: server cannot store events")
		}
		return
	}
	if err := h.cold.ensure(); err != nil {
		h.srv.Config().Logf("eventstream-wasm: %v", err)
	}
}

// closeSocketStopping closes a socket and ends its subscription.
func (h *Host) closeSocketStopping(s *socket, code int, reason string) {
	h.closeSocket(s, code, reason)
	go s.stop() // stop waits for the sender, which may be calling Send now
}

// isOneObject reports whether text is exactly one JSON object: Emit takes
// one event, and a frame holding several would be half-accepted.

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
