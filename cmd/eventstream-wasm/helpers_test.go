//go:build !js

package main

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the Durable Object's storage is SQLite: test the same statements on it
)

// sqliteDB runs the host's statements on a real SQLite database, as
// ctx.storage.sql.exec does in the Durable Object.
type sqliteDB struct {
	db   *sql.DB
	mu   sync.Mutex
	fail func(query string) error // injected failures
}

func openSQLite(t *testing.T, path string) *sqliteDB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return &sqliteDB{db: db}
}

func newSQLite(t *testing.T) *sqliteDB {
	return openSQLite(t, filepath.Join(t.TempDir(), "do.sqlite"))
}

func (s *sqliteDB) Exec(query string, args ...any) ([][]any, error) {
	s.mu.Lock()
	fail := s.fail
	s.mu.Unlock()
	if fail != nil {
		if err := fail(query); err != nil {
			return nil, err
		}
	}
	rows, err := s.db.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, vals)
	}
	return out, rows.Err()
}

func (s *sqliteDB) setFail(f func(string) error) {
	s.mu.Lock()
	s.fail = f
	s.mu.Unlock()
}

var errInjected = errors.New("injected storage failure")

// sent is one frame or close the host pushed to a socket.
type sent struct {
	id, text, lastID string
	closeCode        int
	reason           string
}

// fakePeer records what the host sends to sockets.
type fakePeer struct {
	mu      sync.Mutex
	frames  []sent
	batches int // SendAll calls
	wake    chan struct{}
}

func newFakePeer() *fakePeer { return &fakePeer{wake: make(chan struct{}, 1)} }

func (p *fakePeer) Send(id, text, lastID string) {
	p.push(sent{id: id, text: text, lastID: lastID})
}

// SendAll records the frames per socket, as the object's loop sends
// them; lastID goes with the last frame of the batch. It counts calls.
func (p *fakePeer) SendAll(ids []string, frames [][]byte, lastID string) {
	p.mu.Lock()
	p.batches++
	for _, id := range ids {
		for i, f := range frames {
			s := sent{id: id, text: string(f)}
			if i == len(frames)-1 {
				s.lastID = lastID
			}
			p.frames = append(p.frames, s)
		}
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *fakePeer) Close(id string, code int, reason string) {
	p.push(sent{id: id, closeCode: code, reason: reason})
}

func (p *fakePeer) push(s sent) {
	p.mu.Lock()
	p.frames = append(p.frames, s)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// of returns what socket id got so far.
func (p *fakePeer) of(id string) []sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []sent
	for _, f := range p.frames {
		if f.id == id {
			out = append(out, f)
		}
	}
	return out
}

// await waits until cond holds on socket id's frames.
func (p *fakePeer) await(t *testing.T, id string, cond func([]sent) bool) []sent {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		got := p.of(id)
		if cond(got) {
			return got
		}
		select {
		case <-p.wake:
		case <-deadline:
			t.Fatalf("socket %s: condition not met; got %+v", id, got)
		}
	}
}

// fakeCold records cold-tier batches; fail makes sends fail.
type fakeCold struct {
	mu      sync.Mutex
	batches map[string][]string
	fail    error
	soon    int
}

func newFakeCold() *fakeCold { return &fakeCold{batches: map[string][]string{}} }

func (c *fakeCold) Send(_ context.Context, topic string, events []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return c.fail
	}
	c.batches[topic] = append(c.batches[topic], string(events))
	return nil
}

func (c *fakeCold) FlushSoon() {
	c.mu.Lock()
	c.soon++
	c.mu.Unlock()
}

// lines returns the JSON lines topic received, in order.
func (c *fakeCold) lines(topic string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, b := range c.batches[topic] {
		out = append(out, strings.Split(strings.TrimSuffix(b, "\n"), "\n")...)
	}
	return out
}

// newHost starts a host on db and closes it at the end of the test.
func newHost(t *testing.T, config string, db SQL, peer Peer, cold ColdSink) *Host {
	t.Helper()
	h, err := NewHost(config, db, peer, cold, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// do runs one plain request through the host.
func do(h *Host, method, url, token, body string) Response {
	r := Request{Method: method, URL: "http://do.internal" + url, Body: []byte(body)}
	if token != "" {
		r.Headers = append(r.Headers, Header{"Authorization", "Bearer " + token})
	}
	return h.ServeHTTP(context.Background(), r)
}

// awaitRead waits until the cold-tier forwarder has read n events of topic
// (it reads on a goroutine of its own).
func awaitRead(t *testing.T, h *Host, topic string, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for h.cold.readCount(topic) < n {
		select {
		case <-h.cold.readSignal:
		case <-deadline:
			t.Fatalf("forwarder read %d events of %s, want %d", h.cold.readCount(topic), topic, n)
		}
	}
}
