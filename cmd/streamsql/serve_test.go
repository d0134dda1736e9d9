package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// postJSON posts body and decodes the JSON answer.
func postJSON(url, token, body string) (int, map[string]any, error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("answer %q: %w", raw, err)
	}
	return resp.StatusCode, out, nil
}

var servingAt = regexp.MustCompile(`serving events at http://(\S+)`)

// startServe runs the built binary's serve command and returns it with
// the address it listens on.
func startServe(t *testing.T, bin string, args ...string) (*crashProc, string) {
	t.Helper()
	p := &crashProc{cmd: exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...), done: make(chan struct{})}
	p.cmd.Stderr = &p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting streamsql serve: %v", err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	go io.Copy(io.Discard, out)
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	m := servingAt.FindStringSubmatch(line)
	if err != nil || m == nil {
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("streamsql serve did not start: %q %v; stderr:\n%s", line, err, p.stderr.String())
	}
	return p, m[1]
}

// TestServeLosesNoAcknowledgedEventOnSIGKILL kills the real binary while
// clients ingest, restarts it on the same state directory and checks
// every acknowledged id is there, once.
func TestServeLosesNoAcknowledgedEventOnSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	tmp := t.TempDir()
	bin := crashBinary(t, tmp)
	state := filepath.Join(tmp, "state")
	p, addr := startServe(t, bin, "--state-dir", state)

	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := fmt.Sprintf(`[{"client":%d,"i":%d},{"client":%d,"i":%d,"second":true}]`, c, i, c, i)
				status, out, err := postJSON("http://"+addr+"/events?topic=orders", "", body)
				if err != nil || status != 200 {
					continue // the server is dying: unacknowledged, so nothing is owed
				}
				mu.Lock()
				for _, id := range out["ids"].([]any) {
					acked = append(acked, id.(string))
				}
				mu.Unlock()
			}
		}()
	}
	p.waitUntil(t, "acknowledged events", 30*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 400
	})
	p.kill(t) // while the clients are still posting
	close(stop)
	wg.Wait()

	p2, addr2 := startServe(t, bin, "--state-dir", state)
	status, out, err := postJSON("http://"+addr2+"/query", "", `{"sql":"SELECT _id FROM orders ORDER BY _id"}`)
	if err != nil || status != 200 {
		t.Fatalf("query after restart: %d %v %v; stderr:\n%s", status, out, err, p2.stderr.String())
	}
	var got []string
	for _, r := range out["rows"].([]any) {
		got = append(got, r.([]any)[0].(string))
	}
	if len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Fatal("an event is held twice after restart")
	}
	for _, id := range acked {
		if _, found := slices.BinarySearch(got, id); !found {
			t.Fatalf("acknowledged event %s lost (%d acknowledged, %d after restart)", id, len(acked), len(got))
		}
	}
	t.Logf("%d acknowledged before SIGKILL, %d held after restart", len(acked), len(got))
}

// TestServeFlagsAndGracefulStop runs serve in process: tokens from the
// environment and a tokens file, a declared topic schema, and a clean
// stop that keeps the events for the next start.
func TestServeFlagsAndGracefulStop(t *testing.T) {
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	os.WriteFile(tokens, []byte("# readers\nreader-tok orders read\n"), 0o644)
	t.Setenv(serveTokenEnv, "env-admin-tok")
	args := []string{"--addr", "127.0.0.1:0", "--state-dir", filepath.Join(dir, "state"), "--tokens-file", tokens,
		"--topic-schema", "orders=id BIGINT, amount DOUBLE", "--hot-retention", "1m", "--warehouse", dir,
		"--batch-max-bytes", "1000", "--batch-max-seconds", "5", "--allow-origin", "app.example.com"}
	run := func(check func(base string)) string { return runServe(t, args, check) }
	logs := run(func(base string) {
		if status, _, _ := postJSON(base+"/events?topic=orders", "", `{"id":1,"amount":2.5}`); status != 401 {
			t.Errorf("no token: %d", status)
		}
		if status, _, _ := postJSON(base+"/events?topic=orders", "reader-tok", `{"id":1,"amount":2.5}`); status != 403 {
			t.Errorf("reader token writing: %d", status)
		}
		if status, out, _ := postJSON(base+"/events?topic=orders", "env-admin-tok", `{"id":1,"amount":2.5}`); status != 200 {
			t.Errorf("env token: %d %v", status, out)
		}
	})
	if strings.Contains(logs, "tok") {
		t.Errorf("a token reached the log:\n%s", logs)
	}
	run(func(base string) {
		status, out, _ := postJSON(base+"/query", "reader-tok", `{"sql":"SELECT sum(amount) FROM orders WHERE id = $1","params":[1]}`)
		if status != 200 || out["rows"].([]any)[0].([]any)[0] != 2.5 {
			t.Errorf("after restart: %d %v", status, out)
		}
	})
	for _, bad := range [][]string{
		{"--topic-schema", "orders"},
		{"--event-time-field", "orders"},
		{"--hot-retention", "soon"},
		{"extra-arg"},
	} {
		err := serve(context.Background(), bad, io.Discard, io.Discard, nil)
		if _, ok := err.(usageError); !ok {
			t.Errorf("%v: want a usage error, got %v", bad, err)
		}
	}
	if err := serve(context.Background(), []string{"--tokens-file", filepath.Join(dir, "missing")}, io.Discard, io.Discard, nil); err == nil {
		t.Error("missing tokens file accepted")
	}
	os.WriteFile(tokens, []byte("tok orders admin\n"), 0o644)
	if err := serve(context.Background(), []string{"--tokens-file", tokens}, io.Discard, io.Discard, nil); err == nil || !strings.Contains(err.Error(), ":1:") {
		t.Errorf("bad tokens file: %v", err)
	}
}
