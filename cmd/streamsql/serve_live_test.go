package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// /live on the real server: a subscriber's query sees the events ingested
// after it, filtered, over a WebSocket; a token without read scope on the
// topic is refused before the upgrade.
func TestServeLiveQuery(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--addr", "127.0.0.1:0", "--state-dir", filepath.Join(dir, "state"), "--cold=false", "--token", "admin"}
	runServe(t, args, func(base string) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		// The topic exists once something was published to it.
		if status, out, err := postJSON(base+"/events?topic=clicks", "admin", `{"n":-1}`); status != 200 {
			t.Fatalf("ingest: %d %v %v", status, out, err)
		}
		ws := "ws" + strings.TrimPrefix(base, "http") + "/live?sql=" + url.QueryEscape(`SELECT CAST(data->>'n' AS BIGINT) AS n FROM clicks WHERE CAST(data->>'n' AS BIGINT) % 2 = 0`)
		if _, resp, err := websocket.Dial(ctx, ws, nil); err == nil || resp == nil || resp.StatusCode != 401 {
			t.Fatalf("without a token: %v %v", resp, err)
		}
		c, _, err := websocket.Dial(ctx, ws, &websocket.DialOptions{HTTPHeader: map[string][]string{"Authorization": {"Bearer admin"}}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		for i := range 6 {
			if status, out, err := postJSON(base+"/events?topic=clicks", "admin", fmt.Sprintf(`{"n":%d}`, i)); status != 200 {
				t.Fatalf("ingest: %d %v %v", status, out, err)
			}
		}
		var got []string
		for len(got) < 3 {
			_, msg, err := c.Read(ctx)
			if err != nil {
				t.Fatalf("after %v: %v", got, err)
			}
			var u struct {
				Rows [][]any `json:"rows"`
			}
			if err := json.Unmarshal(msg, &u); err != nil {
				t.Fatalf("frame %s: %v", msg, err)
			}
			for _, r := range u.Rows {
				got = append(got, fmt.Sprint(r[0]))
			}
		}
		if strings.Join(got, ",") != "0,2,4" {
			t.Fatalf("live rows %v", got)
		}
	})
}
