package iceberg

import (
	"encoding/base64"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// DefaultTargetFileBytes is the buffered size at which a sink writes its
// rows out before the checkpoint (TableOptions.TargetFileBytes).
const DefaultTargetFileBytes = 128 << 20

// rollPolicy decides when a sink writes buffered rows out early: at the
// target size, or when the oldest buffered row has waited RollInterval.
type rollPolicy struct {
	target   int64
	interval time.Duration
	now      func() time.Time

	bytes int64
	first time.Time // when the oldest buffered batch came; zero when empty
}

func newRollPolicy(opts TableOptions) rollPolicy {
	target := opts.TargetFileBytes
	if target <= 0 {
		target = DefaultTargetFileBytes
	}
	return rollPolicy{target: target, interval: opts.RollInterval, now: time.Now}
}

// add notes a buffered batch and says whether to write the buffer out.
func (r *rollPolicy) add(b arrow.RecordBatch) bool {
	now := r.now()
	if r.first.IsZero() {
		r.first = now
	}
	for _, c := range b.Columns() {
		r.bytes += arrayBytes(c.Data())
	}
	return r.bytes >= r.target || (r.interval > 0 && now.Sub(r.first) >= r.interval)
}

func (r *rollPolicy) reset() { r.bytes, r.first = 0, time.Time{} }

// arrayBytes is the memory of an array's buffers (of its slice).
func arrayBytes(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	for _, c := range d.Children() {
		n += arrayBytes(c)
	}
	return n
}

// SourcePositions implements catalog.SourcePositionSink: the positions go
// into the summary of the snapshot committing epoch.
func (s *Sink) SourcePositions(epoch int64, positions map[string][]byte) {
	out := make(map[string]string, len(positions))
	for k, v := range positions {
		out[k] = base64.StdEncoding.EncodeToString(v)
	}
	s.sources, s.srcOf = out, epoch
}
