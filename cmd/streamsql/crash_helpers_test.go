package main

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// crashBinary builds the streamsql command into dir; the crash subtests
// share one build.
func crashBinary(t *testing.T, dir string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("building streamsql: no go command in PATH: %v", err)
	}
	bin := filepath.Join(dir, "streamsql")
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	cmd.Dir = filepath.Join(repoRoot, "cmd", "streamsql")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building streamsql: %v\n%s", err, out)
	}
	return bin
}

// crashEvents generates n JSONL events over an hour of event time from a
// fixed seed: timestamps trail their nominal time by up to 2 s (disorder
// well inside the examples' 5 s watermark delay, so no event is late
// whatever the batch boundaries), users active in bursts of about 45 s
// (so sessions close all along), amounts NULL now and then, and about
// 3% exact redeliveries of a recent line (for dedup). The first line has
// a fractional amount so that amount is inferred as DOUBLE. Every four
// consecutive events share an order_id (orders meet their payments).
func crashEvents(n int) [][]byte {
	r := rand.New(rand.NewPCG(20260301, 3))
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	step := time.Hour / time.Duration(n)
	types := []string{"view", "view", "view", "order", "payment"}
	lines := make([][]byte, 0, n)
	for i := 0; len(lines) < n; i++ {
		if len(lines) > 100 && r.IntN(100) < 3 {
			lines = append(lines, lines[len(lines)-1-r.IntN(100)])
			continue
		}
		nominal := time.Duration(i) * step
		ts := base.Add(nominal - time.Duration(r.Int64N(int64(2*time.Second))))
		if ts.Before(base) {
			ts = base
		}
		slot := int(nominal / (45 * time.Second))
		user := (slot*3 + r.IntN(5)) % 400
		amount := "null"
		if i == 0 || r.IntN(50) != 0 {
			amount = strconv.FormatFloat(float64(r.IntN(100000))/100+0.01, 'f', 2, 64)
		}
		lines = append(lines, fmt.Appendf(nil, `{"event_id":"e%d","timestamp":"%s","user_id":"u%d","type":"%s","order_id":"o%d","amount":%s}`+"\n",
			i, ts.Format("2006-01-02 15:04:05.000"), user, types[r.IntN(len(types))], i/4, amount))
	}
	return lines
}

// crashFeeder appends lines to a file in chunks, pacing them like a live
// producer, but never past the limit the test allows: the test lets data
// through phase by phase, so a job following the file always has fresh
// input to work on until the test kills it, however slow the machine.
type crashFeeder struct {
	path    string
	lines   [][]byte
	chunk   int
	pace    time.Duration
	mu      sync.Mutex
	cond    *sync.Cond
	limit   int // lines allowed so far
	written int // lines written so far
	err     error
	done    chan struct{}
}

func newCrashFeeder(path string, lines [][]byte, chunk int, pace time.Duration) *crashFeeder {
	f := &crashFeeder{path: path, lines: lines, chunk: chunk, pace: pace, done: make(chan struct{})}
	f.cond = sync.NewCond(&f.mu)
	go f.run()
	return f
}

func (f *crashFeeder) run() {
	defer close(f.done)
	out, err := os.OpenFile(f.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		f.fail(err)
		return
	}
	defer out.Close()
	var buf []byte
	for i := 0; i < len(f.lines); {
		f.mu.Lock()
		for f.limit <= i {
			f.cond.Wait()
		}
		end := min(i+f.chunk, f.limit)
		f.mu.Unlock()
		buf = buf[:0]
		for _, l := range f.lines[i:end] {
			buf = append(buf, l...)
		}
		if _, err := out.Write(buf); err != nil {
			f.fail(err)
			return
		}
		i = end
		f.mu.Lock()
		f.written = i
		f.cond.Broadcast()
		f.mu.Unlock()
		time.Sleep(f.pace)
	}
}

func (f *crashFeeder) fail(err error) {
	f.mu.Lock()
	f.err = fmt.Errorf("feeding %s: %w", f.path, err)
	f.cond.Broadcast()
	f.mu.Unlock()
}

// allow lets the feeder write up to frac of the lines.
func (f *crashFeeder) allow(frac float64) {
	f.mu.Lock()
	f.limit = max(f.limit, int(frac*float64(len(f.lines))))
	f.cond.Broadcast()
	f.mu.Unlock()
}

// progress is the fraction of the lines written so far.
func (f *crashFeeder) progress() float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return float64(f.written) / float64(len(f.lines))
}

// waitWritten blocks until frac of the lines are written.
func (f *crashFeeder) waitWritten(t *testing.T, frac float64) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for float64(f.written) < frac*float64(len(f.lines)) && f.err == nil {
		f.cond.Wait()
	}
	if f.err != nil {
		t.Fatal(f.err)
	}
}

// crashProc is a `streamsql` subprocess.
type crashProc struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer // read only after done
	done   chan struct{}
	err    error // Wait's, once done
}

func startCrashProc(t *testing.T, bin string, args ...string) *crashProc {
	t.Helper()
	p := &crashProc{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Dir = repoRoot
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting streamsql: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *crashProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill SIGKILLs the process and checks it died of it (rather than having
// exited on its own, which would mean the test did not crash anything).
func (p *crashProc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("killing streamsql: %v", err)
	}
	<-p.done
	var ee *exec.ExitError
	if !errors.As(p.err, &ee) || ee.Exited() {
		t.Fatalf("streamsql ended on its own before the kill (%v); stderr:\n%s", p.err, p.stderr.String())
	}
}

// wait waits for a normal exit with status 0 and returns stderr.
func (p *crashProc) wait(t *testing.T, timeout time.Duration) string {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("streamsql did not finish within %s; stderr:\n%s", timeout, p.stderr.String())
	}
	if p.err != nil {
		t.Fatalf("streamsql failed: %v; stderr:\n%s", p.err, p.stderr.String())
	}
	return p.stderr.String()
}

// waitUntil polls cond until it holds; the process must stay alive.
func (p *crashProc) waitUntil(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if p.exited() {
			t.Fatalf("waiting for %s: streamsql exited (%v); stderr:\n%s", what, p.err, p.stderr.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not within %s", what, timeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

var checkpointFile = regexp.MustCompile(`^checkpoint-(\d+)\.ckpt$`)

// newestCheckpoint is the largest epoch of the checkpoint files in dir (0
// for none).
func newestCheckpoint(dir string) int64 {
	ents, _ := os.ReadDir(dir)
	var newest int64
	for _, e := range ents {
		if m := checkpointFile.FindStringSubmatch(e.Name()); m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			newest = max(newest, n)
		}
	}
	return newest
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

var metricsLine = regexp.MustCompile(`(?m)^events_in=(\d+) events_out=(\d+) late=(\d+) dead_lettered=(\d+) `)

// runMetrics reads the counters of the --metrics line of stderr.
func runMetrics(t *testing.T, stderr string) (in, out, late, dead int64) {
	t.Helper()
	m := metricsLine.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no metrics line in stderr:\n%s", stderr)
	}
	v := make([]int64, 4)
	for i := range v {
		v[i], _ = strconv.ParseInt(m[i+1], 10, 64)
	}
	return v[0], v[1], v[2], v[3]
}

// sameOutput compares two JSONL outputs byte for byte, or as sorted lines
// when the order is not deterministic.
func sameOutput(got, want []byte, sorted bool) error {
	if sorted {
		got, want = sortLines(got), sortLines(want)
	}
	if bytes.Equal(got, want) {
		return nil
	}
	gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; i < len(gl) && i < len(wl); i++ {
		if !bytes.Equal(gl[i], wl[i]) {
			return fmt.Errorf("line %d differs (%d lines vs %d):\n got  %s\n want %s", i+1, len(gl), len(wl), gl[i], wl[i])
		}
	}
	return fmt.Errorf("%d lines, want %d (one is a prefix of the other)", len(gl), len(wl))
}

func sortLines(b []byte) []byte {
	lines := strings.SplitAfter(string(b), "\n")
	slices.Sort(lines)
	return []byte(strings.Join(lines, ""))
}
