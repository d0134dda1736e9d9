package main

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/streamsql/streamsql/eventstream"
	"github.com/streamsql/streamsql/eventstream/live"
)

// Peer is the JavaScript side's WebSockets, addressed by the id the
// Durable Object gave each one. Both calls return at once.
type Peer interface {
	// Send writes one text frame. lastID, when set, is the id of the
	// event the frame carries; the object uses it to clear a from= in the
	// socket's attachment once the replay has begun (a woken object then
	// tails from the head: it only hibernates after every socket was sent
	// every event).
	Send(id, text, lastID string)
	// SendAll writes the same frames, in order, to every socket in ids
	// (ids no longer open are skipped): one call for a batch of events
	// and all of a topic's caught-up subscribers. Frames hold no newline;
	// lastID is as for Send, the id of the event in the last frame.
	SendAll(ids []string, frames [][]byte, lastID string)
	// Close closes the socket with a WebSocket close code and reason.
	Close(id string, code int, reason string)
}

// ColdSink takes the batches of the dual path (a Pipelines binding, or
// locally another server's ingest). Send blocks until the batch is
// accepted; events are JSON lines. FlushSoon asks the object to run a
// flush (its alarm) as soon as it can: a batch is full. Cold-tier I/O
// runs only inside the alarm, so it never outlives the request that
// started it.
type ColdSink interface {
	Send(ctx context.Context, topic string, events []byte) error
	FlushSoon()
}

// Host is the engine side of one Durable Object: the hot tier, its live
// queries, the object's WebSockets and the cold-tier forwarding.
type Host struct {
	srv   *eventstream.Server
	live  *live.Manager
	peer  Peer
	hc    hostConfig
	cold  *forwarder
	state SQL

	mu      sync.Mutex
	sockets map[string]*socket

	fanMu  sync.Mutex
	groups map[string]*fanout // topic → its caught-up subscribers
}

// NewHost opens the hot tier on the object's SQLite storage, replaying
// what the write-ahead log holds, and starts forwarding to cold.
func NewHost(rawConfig string, db SQL, peer Peer, cold ColdSink, logf func(string, ...any)) (*Host, error) {
	hc, err := parseHostConfig(rawConfig)
	if err != nil {
		return nil, err
	}
	dir, err := NewSQLDir(db)
	if err != nil {
		return nil, err
	}
	cfg, err := hc.serverConfig(dir, logf)
	if err != nil {
		return nil, err
	}
	srv, err := eventstream.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("starting the event stream host: %w", err)
	}
	h := &Host{
		srv: srv, peer: peer, hc: hc, state: db, sockets: map[string]*socket{}, groups: map[string]*fanout{},
		live: live.NewManager(srv.Engine(), live.Options{QueueLength: hc.LiveQueueLength}),
	}
	if h.cold, err = newForwarder(srv, db, cold, hc.BatchMaxBytes, logf); err != nil {
		h.Close()
		return nil, err
	}
	if err := h.cold.ensure(); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// Close ends every socket's subscription and closes the hot tier.
func (h *Host) Close() error {
	h.mu.Lock()
	socks := make([]*socket, 0, len(h.sockets))
	for _, s := range h.sockets {
		socks = append(socks, s)
	}
	h.sockets = map[string]*socket{}
	h.mu.Unlock()
	for _, s := range socks {
		s.stop()
	}
	h.endFanouts()
	if h.cold != nil {
		h.cold.close()
	}
	h.live.Close()
	err := h.srv.Close()
	h.srv.Engine().Close()
	return err
}

// Header is one HTTP header line.
type Header [2]string

// Request is an HTTP request handed over by the Durable Object.
type Request struct {
	Method  string   `json:"method"`
	URL     string   `json:"url"`
	Headers []Header `json:"headers"`
	Body    []byte   `json:"-"`
}

// Response is what the Durable Object answers with.
type Response struct {
	Status  int      `json:"status"`
	Headers []Header `json:"headers"`
	Body    []byte   `json:"-"`
}

// headers looks up a request's headers by name, case-insensitively.
type headers []Header

func (hs headers) Get(key string) string {
	for _, h := range hs {
		if strings.EqualFold(h[0], key) {
			return h[1]
		}
	}
	return ""
}

// call is the request as the server's API takes it.
func (r Request) call() (eventstream.Call, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return eventstream.Call{}, fmt.Errorf("adapting request: %w", err)
	}
	return eventstream.Call{Method: r.Method, Host: u.Host, Path: u.Path, Query: u.Query(), Header: headers(r.Headers),
		Body: bytes.NewReader(r.Body), ContentLength: int64(len(r.Body))}, nil
}

// ServeHTTP runs one plain (not upgraded) request through the same API
// as `streamsql serve` (eventstream.Server.Serve).
func (h *Host) ServeHTTP(ctx context.Context, r Request) Response {
	c, err := r.call()
	if err != nil {
		return errorResponse(statusBadRequest, err)
	}
	reply := h.srv.Serve(ctx, c)
	if c.Method == "POST" && reply.Status == statusOK && c.Path == "/events" {
		if err := h.cold.ensure(); err != nil {
			h.srv.Config().Logf("eventstream-wasm: %v", err)
		}
	}
	return responseOf(reply)
}

// responseOf is the server's reply as the object answers it.
func responseOf(r eventstream.Reply) Response {
	resp := Response{Status: r.Status, Body: r.Body}
	for _, h := range r.Header {
		resp.Headers = append(resp.Headers, Header(h))
	}
	return resp
}

// HTTP statuses the host answers with (net/http is not linked into the
// wasm: see eventstream.Call).
const (
	statusSwitchingProtocols = 101
	statusOK                 = 200
	statusBadRequest         = 400
	statusUnauthorized       = 401
	statusForbidden          = 403
	statusNotFound           = 404
)

// errorResponse answers {"error": …} as the server does.
func errorResponse(status int, err error) Response {
	return responseOf(eventstream.ErrorReply(status, err))
}

// Stats is the host's memory and load, for measurement.
type Stats struct {
	HeapAlloc   uint64 `json:"heapAlloc"`
	HeapSys     uint64 `json:"heapSys"`
	Sys         uint64 `json:"sys"`
	NumGC       uint32 `json:"numGC"`
	Goroutines  int    `json:"goroutines"`
	Sockets     int    `json:"sockets"`
	LiveJobs    int    `json:"liveJobs"`
	Topics      int    `json:"topics"`
	ReplayedWAL int    `json:"replayedWAL"`
}

// Stats reads the Go heap after a collection.
func (h *Host) Stats() Stats {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	h.mu.Lock()
	n := len(h.sockets)
	h.mu.Unlock()
	return Stats{
		HeapAlloc: ms.HeapAlloc, HeapSys: ms.HeapSys, Sys: ms.Sys, NumGC: ms.NumGC,
		Goroutines: runtime.NumGoroutine(), Sockets: n, LiveJobs: len(h.live.Metrics().Jobs),
		Topics: len(h.srv.Topics()), ReplayedWAL: h.srv.Replayed.Records,
	}
}

// Evict drops the events past the hot retention (the object's alarm calls
// it) and returns the milliseconds until the oldest one held expires, 0
// when none is held.
func (h *Host) Evict() float64 {
	next := h.srv.Evict()
	if next.IsZero() {
		return 0
	}
	return float64(max(time.Until(next).Milliseconds(), 1))
}

// Flush sends the waiting cold-tier batches (the object's alarm calls
// it) and returns how many bytes still wait.
func (h *Host) Flush(ctx context.Context) (int64, error) {
	if err := h.cold.ensure(); err != nil {
		return 0, err
	}
	return h.cold.Flush(ctx)
}
