package eventstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	streamsql "github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/eventstream/live"
	"github.com/streamsql/streamsql/eventstream/wal"
)

// Server is the hot tier: it accepts events, keeps each topic's window,
// serves subscribers and queries: Serve answers its HTTP API whatever the
// transport, and outside js/wasm it is an http.Handler too (ServeHTTP),
// with WebSocket subscribers and live queries. Safe for concurrent use.
type Server struct {
	cfg       Config
	engine    *streamsql.Engine
	ownEngine bool // created by New: Close closes it
	commit    *committer
	log       *wal.Log
	mux       muxer // the net/http routes; nothing in js/wasm
	live      *live.Manager

	mu     sync.Mutex
	topics map[string]*topic

	stop     chan struct{}
	janitor  sync.WaitGroup
	conns    sync.WaitGroup // WebSocket connections being served
	closeErr error
	closed   sync.Once

	// Replayed reports what opening the write-ahead log found (records
	// include bookkeeping); ReplayedEvents counts the events among them.
	Replayed       wal.ReplayStats
	ReplayedEvents int
}

// ErrTooManyTopics is returned when a new topic would pass Config.MaxTopics.
var ErrTooManyTopics = errors.New("too many topics")

// New opens a server: it replays the write-ahead log in cfg.StateDir (if
// any), registers every topic in the engine and starts evicting expired
// events in the background.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, engine: cfg.Engine, topics: map[string]*topic{}, mux: newMux(), stop: make(chan struct{})}
	if s.engine == nil {
		s.engine, s.ownEngine = streamsql.New(streamsql.WithAllocator(cfg.Alloc)), true
	}
	for _, ts := range cfg.Topics {
		if _, err := s.declare(ts.Topic, ts.Fields); err != nil {
			s.abandon()
			return nil, fmt.Errorf("creating event stream server: %w", err)
		}
	}
	if cfg.StateDir != nil {
		log, stats, err := wal.Open(cfg.StateDir, wal.Options{SegmentBytes: cfg.SegmentBytes, Logf: cfg.Logf}, s.replay)
		if err != nil {
			s.abandon()
			return nil, fmt.Errorf("creating event stream server: %w", err)
		}
		s.log, s.Replayed = log, stats
		if stats.Records > 0 || stats.TornBytes > 0 {
			cfg.Logf("eventstream: replayed %d events from %d segments (torn tail: %d bytes)", s.ReplayedEvents, stats.Segments, stats.TornBytes)
		}
	}
	s.commit = newCommitter(s.log, func() int64 { return s.cfg.Now().UnixNano() })
	if err := s.commit.commitMeta(s.topicList()); err != nil { // the new segment's first record
		s.abandon()
		s.log.Close()
		return nil, fmt.Errorf("creating event stream server: %w", err)
	}
	s.evict()
	s.live = live.NewManager(s.engine, live.Options{MaxJobs: s.cfg.MaxLiveQueries})
	s.routes()
	if !cfg.ManualEviction {
		s.janitor.Add(1)
		go s.runJanitor()
	}
	return s, nil
}

// declare creates a topic (once) and registers its table.
func (s *Server) declare(name string, fields []FieldDef) (*topic, error) {
	if err := checkTopic(name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.topics[name]; ok {
		return t, nil
	}
	if len(s.topics) >= s.cfg.MaxTopics {
		return nil, fmt.Errorf("declaring topic %s: %w", name, ErrTooManyTopics)
	}
	field := DefaultEventTimeField
	if f, ok := s.cfg.EventTimeFields[name]; ok && f != "" {
		field = f
	}
	t := newTopic(name, topicCodec{timeField: field, fields: fields}, fields, s.cfg.Alloc)
	st, err := catalog.NewStreamTable(&Table{t: t}, catalog.EventTime{Column: "timestamp"})
	if err != nil {
		return nil, fmt.Errorf("declaring topic %s: %w", name, err)
	}
	var tbl catalog.Table = st
	if s.cfg.TableFor != nil {
		if tbl, err = s.cfg.TableFor(name, st); err != nil {
			return nil, fmt.Errorf("declaring topic %s: %w", name, err)
		}
	}
	t.table = tbl
	s.engine.Catalog().PutBorrowed(name, tbl)
	s.topics[name] = t
	return t, nil
}

// topic returns a topic, creating undeclared ones on first use.
func (s *Server) topic(name string) (*topic, error) {
	s.mu.Lock()
	t, ok := s.topics[name]
	s.mu.Unlock()
	if ok {
		return t, nil
	}
	return s.declare(name, nil)
}

// replay applies one WAL record at start-up.
func (s *Server) replay(payload []byte) (int64, error) {
	var rec walRecord
	if err := json.Unmarshal(payload, &rec); err != nil {
		return 0, fmt.Errorf("decoding record: %w", err)
	}
	if rec.Meta != nil {
		for name, pos := range rec.Meta {
			t, err := s.topic(name)
			if err != nil {
				return 0, fmt.Errorf("decoding positions: %w", err)
			}
			t.restore(uint64(pos[0]), pos[1])
		}
		return 0, nil
	}
	ns, seq, ok := parseID(rec.ID)
	if !ok {
		return 0, fmt.Errorf("decoding record: bad id %q", rec.ID)
	}
	t, err := s.topic(rec.Topic)
	if err != nil {
		return 0, fmt.Errorf("decoding record: %w", err)
	}
	if seq <= t.lastSeq { // the WAL holds each record once; this is damage
		return 0, fmt.Errorf("decoding record: id %s out of order in topic %s", rec.ID, rec.Topic)
	}
	ev := &event{seq: seq, id: rec.ID, ingestNS: ns, eventUS: rec.Event, raw: rec.Data}
	if err := t.codec.decode(ev, rec.Event); err != nil {
		return 0, fmt.Errorf("decoding record %s: %w", rec.ID, err)
	}
	ev.eventUS = rec.Event
	ev.frame = buildFrame(t.name, ev)
	t.lastSeq, t.lastNS = seq, ns
	t.append([]*event{ev})
	s.ReplayedEvents++
	return ns, nil
}

// topicList returns the topics.
func (s *Server) topicList() []*topic {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*topic, 0, len(s.topics))
	for _, t := range s.topics {
		out = append(out, t)
	}
	return out
}

// Engine is the SQL engine the topics are registered in; the lead's
// cold-tier tables and H2's live queries use it too.
func (s *Server) Engine() *streamsql.Engine { return s.engine }

// Config returns the configuration with defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Table returns a topic's table (creating the topic if needed).
func (s *Server) Table(topic string) (*Table, error) {
	t, err := s.topic(topic)
	if err != nil {
		return nil, err
	}
	return &Table{t: t}, nil
}

// Topics lists the topics known so far.
func (s *Server) Topics() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.topics))
	for n := range s.topics {
		out = append(out, n)
	}
	return out
}

// Emit ingests one event (a JSON object as []byte, json.RawMessage or
// string, or any value encoding to one) and returns its id once it is
// durable.
func (s *Server) Emit(ctx context.Context, topic string, event any) (string, error) {
	var raw []byte
	switch v := event.(type) {
	case []byte:
		raw = v
	case json.RawMessage:
		raw = v
	case string:
		raw = []byte(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return "", fmt.Errorf("emitting to %s: %w", topic, err)
		}
		raw = b
	}
	ids, err := s.ingest(ctx, topic, raw)
	if err != nil {
		return "", fmt.Errorf("emitting to %s: %w", topic, err)
	}
	if len(ids) != 1 {
		return "", fmt.Errorf("emitting to %s: want one event, got %d", topic, len(ids))
	}
	return ids[0], nil
}

// Ingest publishes body — one JSON object, an array of objects or JSONL —
// to topic, all of it or none, and returns the ingest ids once the events
// are durable: what POST /events and a WebSocket publish frame do.
func (s *Server) Ingest(ctx context.Context, topic string, body []byte) ([]string, error) {
	ids, err := s.ingest(ctx, topic, body)
	if err != nil {
		return nil, fmt.Errorf("ingesting to %s: %w", topic, err)
	}
	return ids, nil
}

// ingest splits body into events and commits them all or none.
func (s *Server) ingest(ctx context.Context, topicName string, body []byte) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	raws, err := splitEvents(body, s.cfg.MaxEventBytes)
	if err != nil {
		return nil, err
	}
	t, err := s.topic(topicName)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	ingestUS := s.cfg.Now().UnixMicro()
	evs := make([]*event, len(raws))
	for i, raw := range raws {
		evs[i] = &event{raw: raw}
		if err := t.codec.decode(evs[i], ingestUS); err != nil {
			return nil, badRequest("event %d: %v; nothing was accepted", i+1, err)
		}
	}
	if err := s.commit.commit(t, evs); err != nil {
		return nil, err
	}
	ids := make([]string, len(evs))
	for i, ev := range evs {
		ids[i] = ev.id
	}
	return ids, nil
}

// Query runs one statement over the hot tier (and whatever else the
// engine holds). The caller releases the result.
func (s *Server) Query(ctx context.Context, sql string, params ...any) (*streamsql.Result, error) {
	return s.engine.Query(ctx, sql, params...)
}

// evict drops expired events and WAL segments. Each new segment starts
// with the topics' positions, so pruning old segments loses no count.
func (s *Server) evict() {
	cutoff := s.cfg.Now().Add(-s.cfg.HotRetention).UnixNano()
	topics := s.topicList()
	walCutoff := cutoff
	for _, t := range topics {
		keep := uint64(math.MaxUint64)
		if s.cfg.RetainAfter != nil {
			if seq, ok := s.cfg.RetainAfter(t.name); ok {
				keep = seq
			} else {
				keep = 0 // nothing committed yet: keep everything
			}
		}
		t.evict(cutoff, s.cfg.HotMaxBytes, keep)
		if ns := t.oldestNS(); ns != 0 && ns < walCutoff {
			walCutoff = ns // held past the retention: the WAL keeps it too
		}
	}
	if s.log == nil {
		return
	}
	rotated, err := s.log.Rotate()
	if err != nil {
		s.cfg.Logf("eventstream: rotating the write-ahead log: %v", err)
		return
	}
	if rotated {
		if err := s.commit.commitMeta(topics); err != nil {
			s.cfg.Logf("eventstream: %v", err)
			return
		}
	}
	if _, err := s.log.Prune(walCutoff); err != nil {
		s.cfg.Logf("eventstream: %v", err)
	}
}

// Evict drops expired events and write-ahead log segments now and says
// when the oldest event still held expires (zero when none is held): with
// Config.ManualEviction the host calls it from its own timer (a Durable
// Object's alarm) instead of a ticker that would keep the object awake.
func (s *Server) Evict() time.Time {
	s.evict()
	var oldest int64
	for _, t := range s.topicList() {
		t.mu.Lock()
		if len(t.chunks) > 0 && len(t.chunks[0].events) > 0 {
			if ns := t.chunks[0].events[0].ingestNS; oldest == 0 || ns < oldest {
				oldest = ns
			}
		}
		t.mu.Unlock()
	}
	if oldest == 0 {
		return time.Time{}
	}
	return time.Unix(0, oldest).Add(s.cfg.HotRetention)
}

// janitorEvery is how often expired events go: a tenth of the retention,
// between 100 ms and 10 s.
func (s *Server) janitorEvery() time.Duration {
	return min(max(s.cfg.HotRetention/10, 100*time.Millisecond), 10*time.Second)
}

func (s *Server) runJanitor() {
	defer s.janitor.Done()
	tick := time.NewTicker(s.janitorEvery())
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			s.evict()
		}
	}
}

// Close stops accepting events, waits for the commit in progress, ends
// every subscriber (WebSockets close with "going away"), syncs and closes
// the write-ahead log, frees the hot tier and closes the engine if New
// created it. It may be called more than
// once.
func (s *Server) Close() error {
	s.closed.Do(func() {
		if s.live != nil {
			s.live.Close() // its jobs read the topics
		}
		s.mu.Lock() // WebSocket handlers check isClosed under mu before joining conns
		close(s.stop)
		s.mu.Unlock()
		s.janitor.Wait()
		s.commit.close()
		s.releaseTopics()
		s.conns.Wait()
		if s.log != nil {
			s.closeErr = s.log.Close()
		}
		if s.ownEngine {
			s.engine.Close()
		}
	})
	return s.closeErr
}

// abandon undoes a failed New: the topics go, from the caller's engine
// too.
func (s *Server) abandon() {
	s.releaseTopics()
	if s.ownEngine {
		s.engine.Close()
		return
	}
	for _, name := range s.Topics() {
		s.engine.Catalog().DropKind(name, false)
	}
}

// releaseTopics closes every topic: readers see the end, batches are freed.
func (s *Server) releaseTopics() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.topics {
		t.close()
	}
}

// isClosed reports whether Close has begun.
func (s *Server) isClosed() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}
