//go:build !js

package eventstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/streamsql/streamsql/internal/coalesce"
)

// maxFramesPerWrite bounds the frames handed to the connection at once.
const maxFramesPerWrite = 256

// wsWriteTimeout bounds one frame write: a peer that stops reading is
// dropped rather than holding its cursor forever.
const wsWriteTimeout = 10 * time.Second

// Close reasons are short: the protocol caps them at 123 bytes.
const (
	reasonSlow      = "subscriber too slow: fell behind the newest events"
	reasonRate      = "publish rate limit exceeded"
	reasonNoWrite   = "token has no write scope on this topic"
	reasonShutdown  = "server shutting down"
	reasonLogFailed = "events not accepted: server cannot store events"
)

// handleWebSocket serves a WebSocket on /events?topic=T: it streams the
// topic's events (if the token may read it; from= replays the window
// first) and ingests the JSON text frames the client sends (if it may
// write).
func (s *Server) handleWebSocket(w http.ResponseWriter, r *http.Request, topic string) {
	canRead, canWrite := true, true
	if len(s.cfg.Tokens) > 0 {
		rules := s.rulesFor(callOf(r).bearer())
		if len(rules) == 0 {
			WriteAuthError(w, ErrUnauthorized)
			return
		}
		g := granted(rules, topic)
		canRead, canWrite = g&ScopeRead != 0, g&ScopeWrite != 0
		if !canRead && !canWrite {
			WriteAuthError(w, fmt.Errorf("%w: no read or write scope on topic %q", ErrForbidden, topic))
			return
		}
	}
	var cur *Cursor
	if canRead {
		var err error
		if cur, err = s.Tail(topic, r.URL.Query().Get("from")); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	s.mu.Lock()
	if s.isClosed() {
		s.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, ErrClosed.Error())
		return
	}
	s.conns.Add(1)
	s.mu.Unlock()
	defer s.conns.Done()

	hj := coalesce.Hijacking(w, wsWriteTimeout)
	conn, err := websocket.Accept(hj, r, &websocket.AcceptOptions{OriginPatterns: s.cfg.AllowOrigins})
	if err != nil {
		return // Accept answered the request (403 for a foreign origin)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(s.cfg.MaxEventBytes)

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() { // end the connection when the server closes
		select {
		case <-s.stop:
			conn.Close(websocket.StatusGoingAway, reasonShutdown)
			cancel()
		case <-ctx.Done():
		}
	}()
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		s.readFrames(ctx, cancel, conn, topic, canWrite)
	}()
	if cur == nil {
		<-ctx.Done()
	} else {
		s.writeEvents(ctx, conn, hj.Conn(), cur)
	}
	cancel()
	conn.CloseNow() // a no-op after a clean close; unblocks the reader otherwise
	<-readDone
}

// writeEvents streams the cursor's events as text frames until the
// connection ends.
func (s *Server) writeEvents(ctx context.Context, conn *websocket.Conn, raw *coalesce.Conn, cur *Cursor) {
	writeCtx := context.WithoutCancel(ctx)
	var frames [][]byte
	for {
		ev, err := cur.Next(ctx)
		switch {
		case errors.Is(err, ErrFellBehind):
			conn.Close(websocket.StatusPolicyViolation, reasonSlow)
			return
		case errors.Is(err, io.EOF):
			conn.Close(websocket.StatusGoingAway, reasonShutdown)
			return
		case err != nil:
			return // the reader side ended the connection
		}
		// The coalescing connection bounds each network write by
		// wsWriteTimeout; a context without a deadline spares the
		// per-frame timer (a tenth of the CPU with 100 subscribers).
		if raw != nil {
			// The frames go straight to the coalescing connection, the
			// ones ready now together: the library's per-message
			// locking was a third of the fan-out's CPU. Its own frames
			// (pongs, close) interleave whole.
			frames = append(frames[:0], ev.Frame)
			for cur.Buffered() > 0 && len(frames) < maxFramesPerWrite {
				more, err := cur.Next(ctx)
				if err != nil {
					break
				}
				frames = append(frames, more.Frame)
			}
			err = raw.WriteTexts(frames)
			clear(frames)
		} else {
			err = conn.Write(writeCtx, websocket.MessageText, ev.Frame)
		}
		if err != nil {
			return
		}
	}
}

// readFrames ingests what the client publishes; it cancels the connection
// context when the client goes away or breaks a rule.
func (s *Server) readFrames(ctx context.Context, cancel context.CancelFunc, conn *websocket.Conn, topic string, canWrite bool) {
	defer cancel()
	limit := NewRateLimiter(s.cfg.WSMessageRate, s.cfg.Now())
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			return // closed by the peer, the read limit (1009) or the server
		}
		if !canWrite {
			conn.Close(websocket.StatusPolicyViolation, reasonNoWrite)
			return
		}
		if !limit.Allow(s.cfg.Now()) {
			conn.Close(websocket.StatusPolicyViolation, reasonRate)
			return
		}
		if _, err := s.ingest(ctx, topic, data); err != nil {
			var re *RequestError
			switch {
			case errors.As(err, &re) && re.Status == http.StatusRequestEntityTooLarge:
				conn.Close(websocket.StatusMessageTooBig, truncate(re.Msg, 100))
			case errors.As(err, &re):
				conn.Close(websocket.StatusInvalidFramePayloadData, truncate(re.Msg, 100))
			case errors.Is(err, ErrClosed):
				conn.Close(websocket.StatusGoingAway, reasonShutdown)
			default:
				s.cfg.Logf("eventstream: WebSocket publish to %s failed: %v", topic, err)
				conn.Close(websocket.StatusInternalError, reasonLogFailed)
			}
			return
		}
	}
}
