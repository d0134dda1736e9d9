package live

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrForbidden is what an Authorize hook wraps to answer 403 Forbidden
// (the client is known but may not read these tables); any other error
// answers 401 Unauthorized.
var ErrForbidden = errors.New("forbidden")

// Request is a live query as a client sends it in its first frame:
// {"sql": "…", "params": […]}.
type Request struct {
	SQL    string          `json:"sql"`
	Params json.RawMessage `json:"params"` // as sent: what a host keeps to resubscribe
	Values []any           `json:"-"`      // Params decoded (ParseParams)
}

// ParseRequest decodes a first frame; its errors are what the client is
// told.
func ParseRequest(frame []byte) (Request, error) {
	var req Request
	if err := json.Unmarshal(frame, &req); err != nil {
		return Request{}, fmt.Errorf("reading request: want {\"sql\":\"…\",\"params\":[…]}: %w", err)
	}
	if strings.TrimSpace(req.SQL) == "" {
		return Request{}, errors.New("reading request: sql is missing")
	}
	vals, err := ParseParams(req.Params)
	if err != nil {
		return Request{}, err
	}
	req.Values = vals
	return req, nil
}

// ParseParams decodes a JSON array of parameter values: null, booleans,
// numbers (integers as int64, others as float64) and strings.
func ParseParams(raw []byte) ([]any, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var vals []any
	if err := dec.Decode(&vals); err != nil {
		return nil, fmt.Errorf("reading params: want a JSON array: %w", err)
	}
	for i, v := range vals {
		switch x := v.(type) {
		case nil, bool, string:
		case json.Number:
			if n, err := x.Int64(); err == nil {
				vals[i] = n
			} else if f, err := x.Float64(); err == nil {
				vals[i] = f
			} else {
				return nil, fmt.Errorf("reading params: $%d: %w", i+1, err)
			}
		default:
			return nil, fmt.Errorf("reading params: $%d: want null, a boolean, a number or a string, not %T", i+1, v)
		}
	}
	return vals, nil
}
