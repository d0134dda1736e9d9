package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/streamsql/streamsql/render"
)

// arrowStreamType is the media type `streamsql serve` answers queries in when
// asked (eventstream.ArrowStreamType).
const arrowStreamType = "application/vnd.apache.arrow.stream"

// remoteQuery runs sql on a running `streamsql serve` at server through
// its query API (POST /query), asking for an Arrow IPC stream, and renders
// the rows with w. The bearer token comes from token or STREAMSQL_TOKEN.
func remoteQuery(ctx context.Context, server, token, sql string, params []any, w render.Writer) error {
	body, err := json.Marshal(map[string]any{"sql": sql, "params": params})
	if err != nil {
		return fmt.Errorf("querying %s: %w", server, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(server, "/")+"/query", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("querying %s: %w", server, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", arrowStreamType)
	if token == "" {
		token = os.Getenv("STREAMSQL_TOKEN")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("querying %s: %w", server, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return remoteError(resp)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, arrowStreamType) {
		return fmt.Errorf("querying %s: the server answered %q, not an Arrow stream", server, ct)
	}
	rd, err := ipc.NewReader(resp.Body)
	if err != nil {
		return fmt.Errorf("querying %s: reading the result: %w", server, err)
	}
	defer rd.Release()
	schema := rd.Schema()
	names := make([]string, schema.NumFields())
	for i, f := range schema.Fields() {
		names[i] = f.Name
	}
	if err := w.Header(names, schema); err != nil {
		return err
	}
	for rd.Next() {
		if err := w.Batch(rd.RecordBatch()); err != nil {
			return err
		}
	}
	if err := rd.Err(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("querying %s: reading the result: %w", server, err)
	}
	return w.Close()
}

// remoteError turns the server's {"error": …} answer into an error.
func remoteError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		return fmt.Errorf("%s (HTTP %d)", e.Error, resp.StatusCode)
	}
	return fmt.Errorf("the server answered HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
}
