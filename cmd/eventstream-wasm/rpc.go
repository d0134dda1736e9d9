package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/eventstream"
	"github.com/streamsql/streamsql/eventstream/live"
	"github.com/streamsql/streamsql/planner/parse"
)

// The Durable Object's RPC methods (stub.broadcast, stub.query) serve other
// Workers of the same account through their binding: they are trusted and
// skip the bearer tokens, which guard only the public HTTP API.

// ErrNotReadOnly is returned by Query for statements that would change
// something: RPC queries, like POST /query, only read.
var ErrNotReadOnly = errors.New("only SELECT, WITH and EXPLAIN statements are allowed")

// Broadcast ingests one event (a JSON object) into topic and returns its
// id once it is durable; subscribers get it as if it had been POSTed.
func (h *Host) Broadcast(ctx context.Context, topic, event string) (string, error) {
	if !isOneObject(event) {
		return "", fmt.Errorf("broadcasting to %s: an event is one JSON object", topic)
	}
	id, err := h.srv.Emit(ctx, topic, event)
	if err != nil {
		return "", fmt.Errorf("broadcasting to %s: %w", topic, err)
	}
	if err := h.cold.ensure(); err != nil {
		h.srv.Config().Logf("eventstream-wasm: %v", err)
	}
	return id, nil
}

// Query runs one read-only statement with JSON parameters and answers
// {"columns":[…],"rows":[[…],…]}, the body of POST /query.
func (h *Host) Query(ctx context.Context, sql string, params json.RawMessage) ([]byte, error) {
	st, err := parse.ParseOne(sql)
	if err != nil {
		return nil, fmt.Errorf("querying: %w", err)
	}
	if ex, ok := st.(*parse.Explain); ok {
		st = ex.Stmt
	}
	if _, ok := st.(*parse.Query); !ok {
		return nil, fmt.Errorf("querying: %w", ErrNotReadOnly)
	}
	vals, err := live.ParseParams(params)
	if err != nil {
		return nil, fmt.Errorf("querying: %w", err)
	}
	res, err := h.srv.Query(ctx, sql, vals...)
	if err != nil {
		return nil, fmt.Errorf("querying: %w", err)
	}
	defer res.Release()
	return eventstream.AppendRowsJSON(nil, res), nil
}

// isOneObject says whether text is exactly one JSON object.
func isOneObject(text string) bool {
	t := strings.TrimSpace(text)
	return strings.HasPrefix(t, "{") && json.Valid([]byte(t))
}
