package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/streamsql/streamsql/connectors/iceberg"
)

// floorP99 is part A's floor: ingest-to-subscriber p99 with
// floorSubscribers subscribers.
const (
	floorP99         = 10 * time.Millisecond
	floorSubscribers = 100
)

func printHotRuns(out io.Writer, o *serveBenchOptions, rs []*hotRun) {
	fmt.Fprintf(out, "\npart A: topic %q, target %d events/s for %s per row (POSTs of %s of events, %d in flight at most), %d live queries open (filter, tumbling count, EMIT CHANGES group by, in turn)\n",
		serveBenchTopic, o.rate, o.duration, hotBatchEvery, hotPosters, o.live)
	fmt.Fprintln(out, "latency = subscriber receive time − the event's send time (set as its POST starts), over every delivery to every subscriber (log histogram, quantiles within 3.1%, max exact);\n"+
		"posting is closed-loop: when the server falls behind, fewer events are offered (acked ev/s drops) instead of queueing in the client, so latency excludes time a batch waited to be sent;\n"+
		"cpu cores = process CPU time (server and clients together) ÷ wall time of ingest plus drain, out of the machine's cores")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "subscribers\ttarget ev/s\tacked ev/s\tacked\tdelivered\texpected\tdropped slow\tp50 ms\tp99 ms\tmax ms\tlive frames\tcpu cores\t")
	for _, r := range rs {
		cores := "-"
		if r.cpu >= 0 {
			cores = fmt.Sprintf("%.2f", r.cpu.Seconds()/r.busyWall.Seconds())
		}
		fmt.Fprintf(tw, "%d\t%d\t%.0f\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%d\t%s\t\n", r.subscribers, o.rate, float64(r.acked)/r.ingestWall.Seconds(),
			r.acked, r.delivered, r.acked*int64(r.subscribers), r.dropped, latMS(&r.lat, 0.5), latMS(&r.lat, 0.99), msOrDash(r.lat.n, r.lat.max), r.liveFrames, cores)
	}
	tw.Flush()
	for _, r := range rs {
		var notes []string
		if !r.drained {
			notes = append(notes, fmt.Sprintf("connected subscribers had not received every event %s after the last ack", hotDrainWait))
		}
		if r.ended > 0 {
			notes = append(notes, fmt.Sprintf("%d subscribers ended for another reason", r.ended))
		}
		if r.unparsed > 0 {
			notes = append(notes, fmt.Sprintf("%d frames without a readable \"sent\"", r.unparsed))
		}
		if r.liveDropped > 0 {
			notes = append(notes, fmt.Sprintf("%d of %d live queries dropped as too slow", r.liveDropped, r.liveQueries))
		}
		if len(r.liveErrors) > 0 {
			notes = append(notes, fmt.Sprintf("%d live queries failed, first: %s", len(r.liveErrors), truncateBytes([]byte(r.liveErrors[0]), 200)))
		}
		if len(notes) > 0 {
			fmt.Fprintf(out, "note: %d subscribers: %s\n", r.subscribers, strings.Join(notes, "; "))
		}
	}
	i := slices.IndexFunc(rs, func(r *hotRun) bool { return r.subscribers == floorSubscribers })
	switch {
	case i < 0:
		fmt.Fprintf(out, "floor: p99 below %s with %d subscribers: not measured (add %d to --subscribers)\n", floorP99, floorSubscribers, floorSubscribers)
	default:
		r := rs[i]
		p99 := r.lat.quantile(0.99)
		ok := r.lat.n > 0 && p99 < floorP99 && r.dropped == 0
		why := fmt.Sprintf("%.2f ms", ms64(p99))
		if r.dropped > 0 {
			why += fmt.Sprintf(", %d subscribers dropped", r.dropped)
		}
		fmt.Fprintf(out, "floor: p99 below %s with %d subscribers: %s (%s)\n", floorP99, floorSubscribers, verdict(ok), why)
	}
	for _, r := range rs {
		achieved := float64(r.acked) / r.ingestWall.Seconds()
		fmt.Fprintf(out, "floor: ingest sustains %d events/s with %d subscribers: %s (%.0f events/s, %.0f frames/s delivered)\n",
			o.rate, r.subscribers, verdict(achieved >= 0.95*float64(o.rate)), achieved, float64(r.delivered)/r.ingestWall.Seconds())
	}
}

func latMS(h *latencyHist, q float64) string {
	return msOrDash(h.n, h.quantile(q))
}

func msOrDash(n int64, d time.Duration) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", ms64(d))
}

func printUnified(out io.Writer, o *serveBenchOptions, r *unifiedRun) {
	fmt.Fprintf(out, "\npart B: unified table %q = hot window + warehouse table %s.%s, queried through POST /query\n", serveBenchTopic, iceberg.TierNamespace, serveBenchTopic)
	fmt.Fprintf(out, "cold: %d events, event time spread over the past %s (the %s after the 1-hour boundary left empty so the last-hour count stays exact), ingested in %.2f s (%.0f events/s, %d per POST, %d in flight), committed to the warehouse %.1f s after the last ack (--batch-max-seconds 1)\n",
		r.cold, unifiedSpan, unifiedGap, r.coldIngest.Seconds(), rate(r.cold, r.coldIngest), unifiedPerPost, unifiedPosters, r.commitWait.Seconds())
	fmt.Fprintf(out, "restart with --batch-max-seconds %d (no commit while measuring): up in %.2f s, %d events replayed from the WAL into the hot window (--hot-retention 1h)\n",
		unifiedNoCommit, r.restart.Seconds(), r.replayed)
	fmt.Fprintf(out, "hot: %d events over the last %s, ingested in %.2f s (%.0f events/s); the warehouse's committed position stayed at %d: hot-only\n",
		r.hot, unifiedGap, r.hotIngest.Seconds(), rate(r.hot, r.hotIngest), r.committedSeq)
	fmt.Fprintf(out, "time = POST /query round trip, median of %d runs after 1 warm-up, every answer checked; files: %s\n", o.runs, r.statsFrom)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "query\tcount\twant\tsum\twant\tmedian ms\tfiles considered\tpruned\tread\tcold alone ms\tcheck\t")
	for _, q := range r.queries {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.1f\t%.1f\t%d\t%d\t%d\t%.1f\tok\t\n", q.name, q.gotN, q.wantN, q.gotSum, q.wantSum, ms64(q.median), q.considered, q.pruned, q.read, ms64(q.coldAlone))
	}
	tw.Flush()
	fmt.Fprintf(out, "last_hour: %d cold + %d hot events match the filter; the hot window holds %d events (%d replayed + %d new), of which each query's hot side reads the %d after the cold tier's committed position\n",
		r.coldLastHour, r.hot, max(r.replayed, 0)+r.hot, max(r.replayed, 0), r.hot, r.hot)
	fmt.Fprintln(out, "cold alone = the same query in a fresh engine over the warehouse table only (median, same runs), to set against median ms: the difference is the hot window's scan, the HTTP round trip and the server's engine")
	last, full := r.queries[0], r.queries[1]
	// Part B reports (the issue sets no floor here; the cold-tier floors
	// are `bench cold`'s).
	fmt.Fprintf(out, "pruning: last_hour read %d of %d cold files (1/%.0f)\n", last.read, last.considered,
		float64(last.considered)/math.Max(float64(last.read), 1))
	speedup := float64(full.median) / float64(last.median)
	fmt.Fprintf(out, "last_hour is %.1f× faster than full\n", speedup)
}

func rate(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}
