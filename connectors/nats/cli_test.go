package nats

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// `streamsql run` reads a JetStream stream to a file until idle; a
// malformed message goes to the dead-letter file with its sequence, and
// the final checkpoint acknowledges everything read.
func TestCLIRunJetStream(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the streamsql binary")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "streamsql")
	build := exec.Command(goTool, "build", "-o", bin, "./cmd/streamsql")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building streamsql: %v\n%s", err, out)
	}

	ts := startServer(t)
	_, js := ts.client()
	createStream(t, js, "EV", "ev.>")
	publishEvents(t, js, "ev.a", 0, 50)
	if _, err := js.Publish(context.Background(), "ev.a", []byte("{broken")); err != nil {
		t.Fatal(err)
	}
	publishEvents(t, js, "ev.a", 50, 100)
	script := filepath.Join(dir, "even.sql")
	if err := os.WriteFile(script, []byte("SELECT id, name FROM __input__ WHERE id % 2 = 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, dl := filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "dead.jsonl")
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	run := exec.CommandContext(ctx, bin, "run", script,
		"--input", fmt.Sprintf("jetstream://127.0.0.1:%d/EV/cli", ts.port),
		"--output", out, "--dead-letter", dl, "--until-idle", "1s")
	var stderr bytes.Buffer
	run.Stderr = &stderr
	if err := run.Run(); err != nil {
		t.Fatalf("streamsql run: %v\n%s", err, stderr.String())
	}
	lines := readLines(t, out)
	if len(lines) != 50 || lines[0] != `{"id":0,"name":"e0"}` || lines[49] != `{"id":98,"name":"e98"}` {
		t.Fatalf("output: %d lines, first %q", len(lines), lines)
	}
	dead := readLines(t, dl)
	if len(dead) != 1 {
		t.Fatalf("dead letters: %q", dead)
	}
	var d struct{ Reason, Raw string }
	if err := json.Unmarshal([]byte(dead[0]), &d); err != nil || !strings.Contains(d.Reason, "seq 51") || d.Raw != "{broken" {
		t.Fatalf("dead letter %q (%v)", dead[0], err)
	}
	awaitInfo(t, js, "EV", "cli", "everything acked", func(i *jetstream.ConsumerInfo) bool {
		return i.AckFloor.Stream == 101 && i.NumAckPending == 0
	})
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}
