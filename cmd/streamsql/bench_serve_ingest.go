package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// serveBenchUsers is how many distinct `user` values the events carry (the
// EMIT CHANGES group by's keys).
const serveBenchUsers = 1000

// benchAmount is event i's amount: a multiple of 0.5 below 100, so sums of
// up to 2^46 of them are exact in a double and checks can compare exactly.
func benchAmount(i int64) float64 { return float64(i%200) * 0.5 }

// appendBenchEvent appends event i as one JSON object: its send time in
// unix ns (what subscribers measure latency from), user, amount and event
// time in epoch milliseconds.
func appendBenchEvent(b []byte, i, sentNS, eventMS int64) []byte {
	b = append(b, `{"sent":`...)
	b = strconv.AppendInt(b, sentNS, 10)
	b = append(b, `,"user":"u`...)
	b = strconv.AppendInt(b, i%serveBenchUsers, 10)
	b = append(b, `","amount":`...)
	b = strconv.AppendFloat(b, benchAmount(i), 'f', -1, 64)
	b = append(b, `,"timestamp":`...)
	b = strconv.AppendInt(b, eventMS, 10)
	return append(b, "}\n"...)
}

// sentField finds the "sent" field of a subscriber's frame without
// decoding it: the digits after `"sent":`. It looks for `sent":` rather
// than the whole key: a search starts from the key's first byte, and '"'
// is in every few bytes of JSON while 's' is rare.
func sentField(frame []byte) (int64, bool) {
	i := 0
	for {
		j := bytes.Index(frame[i:], []byte(`sent":`))
		if j < 0 {
			return 0, false
		}
		i += j
		if i > 0 && frame[i-1] == '"' {
			break
		}
		i++
	}
	var n int64
	digits := 0
	for _, c := range frame[i+len(`sent":`):] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
		digits++
	}
	return n, digits > 0
}

// newBenchClient is an HTTP client keeping enough idle connections for the
// concurrent posters.
func newBenchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}, Timeout: 2 * time.Minute}
}

// postEvents posts a JSONL body to the topic and returns how many events
// the server acknowledged (after its WAL fsync).
func postEvents(ctx context.Context, c *http.Client, base string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/events?topic="+serveBenchTopic, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("posting events: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := c.Do(req)
	if err != nil {
		return 0, fmt.Errorf("posting events: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("posting events: reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("posting events: status %d: %s", resp.StatusCode, truncateBytes(raw, 200))
	}
	var ack struct {
		Accepted int `json:"accepted"`
	}
	if err := json.Unmarshal(raw, &ack); err != nil {
		return 0, fmt.Errorf("posting events: decoding the answer %s: %w", truncateBytes(raw, 200), err)
	}
	return ack.Accepted, nil
}

// postQuery runs sql through POST /query and returns its rows, numbers
// kept as json.Number so counts and sums compare exactly.
func postQuery(ctx context.Context, c *http.Client, base, sql string) ([][]any, error) {
	body, err := json.Marshal(map[string]any{"sql": sql})
	if err != nil {
		return nil, fmt.Errorf("encoding query: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/query", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("posting query: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("posting query: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("posting query: reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("posting query %q: status %d: %s", sql, resp.StatusCode, truncateBytes(raw, 300))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var res struct {
		Rows [][]any `json:"rows"`
	}
	if err := dec.Decode(&res); err != nil {
		return nil, fmt.Errorf("posting query: decoding the answer: %w", err)
	}
	return res.Rows, nil
}

func truncateBytes(b []byte, n int) string {
	b = bytes.TrimSpace(b)
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
