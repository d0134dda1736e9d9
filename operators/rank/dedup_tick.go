package rank

import (
	"context"
	"time"

	"github.com/streamsql/streamsql/operators"
)

var _ operators.Ticker = (*Dedup)(nil)

// OnTick implements operators.Ticker: with a TTL in processing time (no
// event-time column) it forgets the keys last seen more than TTL before
// now, so their state is freed on a quiet stream too. It emits nothing,
// and costs a look at the earliest deadline when nothing has expired.
func (d *Dedup) OnTick(_ context.Context, now time.Time, _ operators.Emit) error {
	if err := d.checkLive("ticking"); err != nil {
		return err
	}
	if d.eventTime() || d.spec.TTL <= 0 {
		return nil
	}
	// Only FirstArrival runs without event time, and it holds no rows:
	// nothing to compact after dropping keys.
	d.expire(now.UnixMicro())
	return nil
}
