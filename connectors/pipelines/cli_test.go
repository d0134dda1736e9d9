package pipelines

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"
)

// repoRoot is where the CLI is built and run.
var repoRoot = filepath.Join("..", "..")

// TestCLIResumeAfterKill runs `streamsql run transforms/examples/aggregate.sql`
// into a fake Pipelines stream while its input file grows, SIGKILLs it at
// the moment the endpoint has stored a request whose response the job
// never sees, and runs the same command again over the completed file with
// the same state directory. After dedup by _idempotency_key the stream
// holds every per-minute aggregate exactly once, in order, equal to the
// example's expected output; the replay must have produced duplicates
// (else nothing was tested).
func TestCLIResumeAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the streamsql binary")
	}
	bin := buildCLI(t)
	events, err := os.ReadFile(filepath.Join(repoRoot, "transforms", "examples", "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	want := expectedAggregates(t)
	for _, c := range []struct {
		name  string
		query string // more URI options
		// killAt says whether to kill at request n: after a durable
		// checkpoint, or at the very first request (no checkpoint yet,
		// which job_id makes recoverable).
		afterCheckpoint bool
	}{
		{name: "after_a_checkpoint", query: "max_request_bytes=300", afterCheckpoint: true},
		{name: "before_any_checkpoint", query: "max_request_bytes=300&job_id=minutes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			in, state := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "state")
			f := newFakePipelines(t, "e2e-token", 1<<20)
			uri := "pipelines+" + f.url() + "?" + c.query
			args := []string{"run", "transforms/examples/aggregate.sql", "--input", in, "--output", uri,
				"--state-dir", state, "--checkpoint-interval", "20ms"}

			var proc *cliProc
			killed := make(chan struct{})
			var once sync.Once
			f.decide = func(n int, _ []map[string]any) fault {
				if c.afterCheckpoint && (n == 0 || newestCheckpoint(state) == 0) {
					return accept
				}
				what := accept
				once.Do(func() {
					t.Logf("killing the job at request %d (checkpoint %d)", n, newestCheckpoint(state))
					proc.kill(t)
					close(killed)
					what = acceptThenDrop // stored, but the job died before the answer
				})
				return what
			}
			if err := os.WriteFile(in, events[:bytes.IndexByte(events, '\n')+1], 0o644); err != nil {
				t.Fatal(err)
			}
			proc = startCLI(t, bin, "e2e-token", append(args, "--follow")...)
			feedDone := feed(t, in, events[bytes.IndexByte(events, '\n')+1:], 40, 30*time.Millisecond)
			select {
			case <-killed:
			case <-time.After(30 * time.Second):
				t.Fatalf("the job never sent a request to kill it at; stderr:\n%s", proc.stderr())
			}
			<-feedDone
			stderr, err := startCLI(t, bin, "e2e-token", args...).wait(time.Minute)
			if err != nil {
				t.Fatalf("resumed run: %v\n%s", err, stderr)
			}
			rows, dups := f.deduped(t)
			t.Logf("%d duplicates dropped", dups)
			if dups == 0 {
				t.Error("no duplicates: the killed request's rows were not resent")
			}
			if len(rows) != len(want) {
				t.Fatalf("%d aggregates after dedup, want %d: %v", len(rows), len(want), rows)
			}
			for i, row := range rows {
				delete(row, IdempotencyKey)
				if fmt.Sprint(row) != fmt.Sprint(want[i]) {
					t.Errorf("aggregate %d = %v, want %v", i, row, want[i])
				}
			}
		})
	}
}

// expectedAggregates reads the example's expected output.
func expectedAggregates(t *testing.T) []map[string]any {
	data, err := os.ReadFile(filepath.Join(repoRoot, "transforms", "examples", "expected", "aggregate.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func buildCLI(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "streamsql")
	cmd := exec.Command(goTool, "build", "-o", bin, "./cmd/streamsql")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building streamsql: %v\n%s", err, out)
	}
	return bin
}

// feed appends data to path, lines at a time every pace, like a live
// producer; the channel closes when all is written.
func feed(t *testing.T, path string, data []byte, lines int, pace time.Duration) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		for len(data) > 0 {
			end := len(data)
			for i, at := 0, 0; i < lines; i++ {
				j := bytes.IndexByte(data[at:], '\n')
				if j < 0 {
					break
				}
				at += j + 1
				end = at
			}
			if _, err := f.Write(data[:end]); err != nil {
				t.Error(err)
				return
			}
			data = data[end:]
			time.Sleep(pace)
		}
	}()
	return done
}

// cliProc is a running streamsql.
type cliProc struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan struct{}
	err  error
}

func startCLI(t *testing.T, bin, token string, args ...string) *cliProc {
	t.Helper()
	p := &cliProc{cmd: exec.Command(bin, args...), out: &bytes.Buffer{}, done: make(chan struct{})}
	p.cmd.Dir = repoRoot
	p.cmd.Env = append(os.Environ(), "PIPELINES_TOKEN="+token)
	p.cmd.Stderr = p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// kill SIGKILLs the process and waits for it to die.
func (p *cliProc) kill(t *testing.T) {
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("killing streamsql: %v", err)
	}
	<-p.done
}

func (p *cliProc) wait(timeout time.Duration) (string, error) {
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.cmd.Process.Kill()
		<-p.done
		return p.out.String(), fmt.Errorf("not done within %s", timeout)
	}
	return p.out.String(), p.err
}

// stderr is safe to call once the process is done or killed.
func (p *cliProc) stderr() string {
	select {
	case <-p.done:
		return p.out.String()
	default:
		return "(still running)"
	}
}

var checkpointFile = regexp.MustCompile(`^checkpoint-(\d+)\.ckpt$`)

// newestCheckpoint is the largest epoch of the checkpoint files in dir.
func newestCheckpoint(dir string) int {
	ents, _ := os.ReadDir(dir)
	newest := 0
	for _, e := range ents {
		if m := checkpointFile.FindStringSubmatch(e.Name()); m != nil {
			var n int
			fmt.Sscan(m[1], &n)
			newest = max(newest, n)
		}
	}
	return newest
}
