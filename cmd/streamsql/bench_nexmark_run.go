package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
	memconn "github.com/streamsql/streamsql/connectors/memory"
	"github.com/streamsql/streamsql/connectors/nexmark"
	"github.com/streamsql/streamsql/connectors/nexmark/queries"
)

// nexmarkKinds are the three tables, by the names the queries use.
var nexmarkKinds = []nexmark.Kind{nexmark.Person, nexmark.Auction, nexmark.Bid}

// nexmarkDelay is the watermark delay the Nexmark queries expect (4 s).
const nexmarkDelay = int64(4 * time.Second / time.Microsecond)

// nexmarkBatchRows sizes the pre-generated batches (the generator's
// default batch size too).
const nexmarkBatchRows = 8192

// nexmarkTables are the pre-generated tables: every row of each kind, in
// event-id order, built before any timing.
type nexmarkTables struct {
	batches map[string][]arrow.RecordBatch
	rows    map[string]int64
}

func pregenerateNexmark(events int64) (*nexmarkTables, error) {
	t := &nexmarkTables{batches: map[string][]arrow.RecordBatch{}, rows: map[string]int64{}}
	for _, k := range nexmarkKinds {
		bs, err := nexmark.PreGenerate(k, nexmark.Config{Events: events}, nexmarkBatchRows)
		if err != nil {
			t.release()
			return nil, err
		}
		t.batches[k.String()] = bs
		for _, b := range bs {
			t.rows[k.String()] += b.NumRows()
		}
	}
	return t, nil
}

func (t *nexmarkTables) release() {
	for _, bs := range t.batches {
		for _, b := range bs {
			b.Release()
		}
	}
	t.batches = nil
}

// nexmarkStreams registers the three tables as streams in eng (borrowed:
// the engine never releases them), each wrapped to record its batch
// times into lat. It returns a function releasing what it made.
func nexmarkStreams(eng *streamsql.Engine, mode string, events int64, splits int, pre *nexmarkTables, lat *batchTimes) (func(), error) {
	var made []*memconn.Stream
	release := func() {
		for _, s := range made {
			s.Release()
		}
	}
	for _, k := range nexmarkKinds {
		var src catalog.Streamable
		switch mode {
		case modeGenerator:
			t, err := nexmark.NewTable(k, nexmark.Config{Events: events}, splits)
			if err != nil {
				release()
				return nil, err
			}
			src = t
		default:
			s := memconn.NewStreamSplits(nexmark.Schema(k), splits)
			made = append(made, s)
			for i, bs := range splitBatches(pre.batches[k.String()], splits) {
				for _, b := range bs {
					if err := s.AppendTo(i, b); err != nil {
						release()
						return nil, err
					}
				}
			}
			s.CloseWrite()
			src = s
		}
		st, err := catalog.NewStreamTable(&timedStream{Streamable: src, lat: lat}, catalog.EventTime{Column: "date_time", Delay: nexmarkDelay})
		if err != nil {
			release()
			return nil, err
		}
		eng.Catalog().PutBorrowed(k.String(), st)
	}
	return release, nil
}

// benchNexmarkQuery runs q o.runs times in mode and reports the medians.
func benchNexmarkQuery(ctx context.Context, q queries.Query, mode string, pre *nexmarkTables, o *nexmarkOptions) (nexmarkResult, error) {
	r := nexmarkResult{Query: q.Name, Mode: mode, GeneratorIncluded: mode == modeGenerator, Events: o.events, Cores: o.cores}
	if mode == modePregenerated {
		r.FloorPerCore = nexmarkFloors[q.Name]
	}
	if o.cpuprofile != "" {
		f, err := os.Create(filepath.Join(o.cpuprofile, q.Name+"-"+mode+".pprof"))
		if err != nil {
			return r, fmt.Errorf("creating profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return r, fmt.Errorf("starting profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	walls := make([]time.Duration, o.runs)
	cpus := make([]time.Duration, o.runs)
	lat := &batchTimes{}
	for i := range walls {
		run, rss, err := runNexmarkOnce(ctx, q.SQL, mode, pre, o, lat)
		if err != nil {
			return r, err
		}
		if run.metrics.Late != 0 {
			return r, fmt.Errorf("%d events arrived late: the generator's events are in order within the 4 s delay", run.metrics.Late)
		}
		walls[i], cpus[i] = run.wall, run.cpu
		r.RowsOut = run.rows
		if rss.bytes > r.PeakRSSBytes {
			r.PeakRSSBytes = rss.bytes
		}
		r.RSSSource = rss.source
	}
	wall, cpu := median(walls), median(cpus)
	r.Seconds = wall.Seconds()
	if cpu > 0 {
		r.CPUSeconds = cpu.Seconds()
	}
	r.EventsPerSec = float64(o.events) / r.Seconds
	r.EventsPerSecCore = r.EventsPerSec / float64(o.cores)
	r.Batches = len(lat.samples)
	r.P50BatchMS, r.P99BatchMS = lat.quantile(0.50), lat.quantile(0.99)
	return r, nil
}

// runNexmarkOnce runs script once on a fresh engine whose person,
// auction and bid tables are mode's streams.
func runNexmarkOnce(ctx context.Context, script, mode string, pre *nexmarkTables, o *nexmarkOptions, lat *batchTimes) (streamRun, peakRSS, error) {
	eng := streamsql.New()
	defer eng.Close()
	release, err := nexmarkStreams(eng, mode, o.events, o.splits, pre, lat)
	if err != nil {
		return streamRun{}, peakRSS{}, err
	}
	defer release()
	resetPeakRSS()
	run, err := runStreamJob(ctx, eng, script, nil, o.cores)
	return run, readPeakRSS(), err
}

// timedStream wraps a stream's split readers to time its batches.
type timedStream struct {
	catalog.Streamable
	lat *batchTimes
}

func (s *timedStream) OpenStream(ctx context.Context, req catalog.StreamRequest) ([]catalog.SplitReader, error) {
	rs, err := s.Streamable.OpenStream(ctx, req)
	if err != nil {
		return nil, err
	}
	for i, r := range rs {
		rs[i] = &timedReader{SplitReader: r, lat: s.lat}
	}
	return rs, nil
}

// timedReader records, for each batch it returned, the time until the
// next Read call: how long the split's goroutine spent pushing that batch
// through the operators it runs and into the bounded channels after them
// (so backpressure from later stages counts). Generation time is not in
// it. A reader is used by one goroutine at a time; samples go to lat on
// Close.
type timedReader struct {
	catalog.SplitReader
	lat     *batchTimes
	last    time.Time // when the last batch was returned; zero if none pending
	samples []time.Duration
}

func (r *timedReader) Read(ctx context.Context) (arrow.RecordBatch, error) {
	if !r.last.IsZero() {
		r.samples = append(r.samples, time.Since(r.last))
		r.last = time.Time{}
	}
	b, err := r.SplitReader.Read(ctx)
	if err == nil {
		r.last = time.Now()
	}
	return b, err
}

// SourceWatermark forwards the wrapped reader's own watermark, if any
// (exec asks readers for it).
func (r *timedReader) SourceWatermark() (int64, bool) {
	if sw, ok := r.SplitReader.(interface{ SourceWatermark() (int64, bool) }); ok {
		return sw.SourceWatermark()
	}
	return 0, false
}

func (r *timedReader) Close() error {
	r.lat.add(r.samples)
	r.samples = nil
	return r.SplitReader.Close()
}

// batchTimes collects the readers' samples.
type batchTimes struct {
	mu      sync.Mutex
	samples []time.Duration
}

func (t *batchTimes) add(s []time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.samples = append(t.samples, s...)
}

// quantile is the q-quantile in milliseconds (nearest rank), 0 with no
// samples.
func (t *batchTimes) quantile(q float64) float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.samples) == 0 {
		return 0
	}
	s := slices.Clone(t.samples)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return float64(s[max(i, 0)]) / 1e6
}
