package cold

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
)

// DualOptions configure a DualPath.
type DualOptions struct {
	// Engine runs the per-topic jobs.
	Engine *streamsql.Engine
	// Topics lists the hot tier's topics (polled: topics appear as events
	// arrive); Table opens one's hot table (catalog.Streamable).
	Topics func() []string
	Table  func(topic string) (catalog.Table, error)
	// Sink opens the cold sink of a topic (an Iceberg table, a Pipelines
	// stream); jobID names the topic's job, for sinks that record it.
	Sink func(ctx context.Context, topic, jobID string) (catalog.SinkTable, error)
	// StateDir holds each topic's checkpoints (StateDir/<topic>); a
	// restart resumes after the last committed batch. Empty: no resume
	// (a restart sends the hot window again).
	StateDir string
	// Interval is the longest an event waits before its batch commits
	// (the Pipelines max_seconds; default 60 s).
	Interval time.Duration
	// Poll is how often new topics are looked for (default 1 s).
	Poll time.Duration
	// OnError, when set, hears a topic job's failure before it restarts.
	OnError func(topic string, err error)
}

// DualPath runs one job per topic from the hot tier into the cold sink.
type DualPath struct {
	opts   DualOptions
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	running map[string]bool
	errs    map[string]error // the last failure of each topic's job
}

// StartDual starts the dual path; Close stops it.
func StartDual(ctx context.Context, opts DualOptions) (*DualPath, error) {
	if opts.Engine == nil || opts.Topics == nil || opts.Table == nil || opts.Sink == nil {
		return nil, errors.New("starting the dual path: Engine, Topics, Table and Sink are required")
	}
	if opts.Interval <= 0 {
		opts.Interval = 60 * time.Second
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	d := &DualPath{opts: opts, cancel: cancel, running: map[string]bool{}, errs: map[string]error{}}
	d.wg.Add(1)
	go d.watch(ctx)
	return d, nil
}

// watch starts a job for every topic as it appears.
func (d *DualPath) watch(ctx context.Context) {
	defer d.wg.Done()
	t := time.NewTicker(d.opts.Poll)
	defer t.Stop()
	for {
		topics := d.opts.Topics()
		sort.Strings(topics)
		d.mu.Lock()
		for _, topic := range topics {
			if !d.running[topic] {
				d.running[topic] = true
				d.wg.Add(1)
				go d.run(ctx, topic)
			}
		}
		d.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// run keeps the topic's job running, restarting it after a failure (it
// resumes from its last checkpoint).
func (d *DualPath) run(ctx context.Context, topic string) {
	defer d.wg.Done()
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := d.runOnce(ctx, topic)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("the topic's job ended")
		}
		d.mu.Lock()
		d.errs[topic] = err
		d.mu.Unlock()
		if d.opts.OnError != nil {
			d.opts.OnError(topic, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

func (d *DualPath) runOnce(ctx context.Context, topic string) error {
	hot, err := d.opts.Table(topic)
	if err != nil {
		return err
	}
	in, err := catalog.NewStreamTable(hot, catalog.EventTime{})
	if err != nil {
		return err
	}
	job := "eventstream-" + topic
	sink, err := d.opts.Sink(ctx, topic, job)
	if err != nil {
		return fmt.Errorf("opening the cold sink of %s: %w", topic, err)
	}
	if r, ok := sink.(interface{ Release() }); ok {
		defer r.Release()
	}
	jo := streamsql.JobOptions{Input: in, Output: sink, CheckpointInterval: d.opts.Interval}
	if d.opts.StateDir != "" {
		jo.StateDir = filepath.Join(d.opts.StateDir, topic)
	}
	j, err := d.opts.Engine.StartJob(ctx, "SELECT * FROM "+streamsql.InputTable, jo)
	if err != nil {
		return fmt.Errorf("starting the dual path of %s: %w", topic, err)
	}
	err = j.Run(ctx)
	return errors.Join(err, j.Close())
}

// Err is the last failure of topic's job, nil if none.
func (d *DualPath) Err(topic string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.errs[topic]
}

// Close stops every job (without a final commit: the next start resumes
// from the last one) and waits for them.
func (d *DualPath) Close() error {
	d.cancel()
	d.wg.Wait()
	return nil
}
