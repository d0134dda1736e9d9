package pipelines

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestCLIKafkaToPipelinesResumeAfterKill is the end-to-end case:
// `streamsql run transforms/examples/aggregate.sql --input kafka://…
// --output pipelines+http://…` over an in-process Kafka (kfake) fed while
// the job runs, SIGKILLed once a checkpoint is durable and a request is
// stored whose answer the job never sees, then run again with the same
// state directory until the topic is idle. Downstream, after dedup by
// _idempotency_key, every per-minute aggregate arrives exactly once and in
// order, equal to the example's expected output.
func TestCLIKafkaToPipelinesResumeAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the streamsql binary")
	}
	bin := buildCLI(t)
	events, err := os.ReadFile(filepath.Join(repoRoot, "transforms", "examples", "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(bytes.TrimSpace(events), []byte("\n"))
	want := expectedAggregates(t)
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "events"))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	addr := kc.ListenAddrs()[0]
	producer, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("events"))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	produce := func(ls [][]byte) {
		for _, l := range ls {
			if err := producer.ProduceSync(context.Background(), &kgo.Record{Value: bytes.TrimSpace(l)}).FirstErr(); err != nil {
				t.Error(err)
				return
			}
		}
	}

	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	f := newFakePipelines(t, "e2e-token", 1<<20)
	input := fmt.Sprintf("kafka://%s/events?group=minutes&sample=500", addr)
	args := []string{"run", "transforms/examples/aggregate.sql", "--input", input,
		"--output", "pipelines+" + f.url() + "?max_request_bytes=300", "--state-dir", state, "--checkpoint-interval", "20ms"}
	var proc *cliProc
	killed := make(chan struct{})
	var once sync.Once
	f.decide = func(n int, _ []map[string]any) fault {
		if n == 0 || newestCheckpoint(state) == 0 {
			return accept
		}
		what := accept
		once.Do(func() {
			t.Logf("killing the job at request %d (checkpoint %d)", n, newestCheckpoint(state))
			proc.kill(t)
			close(killed)
			what = acceptThenDrop
		})
		return what
	}
	produce(lines[:len(lines)/2]) // enough to infer the columns and close some minutes
	proc = startCLI(t, bin, "e2e-token", args...)
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		rest := lines[len(lines)/2:]
		for len(rest) > 0 {
			n := min(40, len(rest))
			produce(rest[:n])
			rest = rest[n:]
			time.Sleep(30 * time.Millisecond)
		}
	}()
	select {
	case <-killed:
	case <-time.After(60 * time.Second):
		t.Fatalf("the job never sent a request to kill it at; stderr:\n%s", proc.stderr())
	}
	<-fed
	stderr, err := startCLI(t, bin, "e2e-token", append(args, "--until-idle", "2s")...).wait(2 * time.Minute)
	if err != nil {
		t.Fatalf("resumed run: %v\n%s", err, stderr)
	}
	rows, dups := f.deduped(t)
	t.Logf("%d duplicates dropped", dups)
	if len(rows) != len(want) {
		t.Fatalf("%d aggregates after dedup, want %d: %v", len(rows), len(want), rows)
	}
	for i, row := range rows {
		delete(row, IdempotencyKey)
		if fmt.Sprint(row) != fmt.Sprint(want[i]) {
			t.Errorf("aggregate %d = %v, want %v", i, row, want[i])
		}
	}
}
