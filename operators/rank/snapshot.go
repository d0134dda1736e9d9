package rank

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// Snapshots of both operators are a header of int64s, then Arrow IPC
// streams, framed by operators/statecodec (each chunk checksummed); the
// layout of each is described with its Snapshot method.

// withFields is s with extra fields appended.
func withFields(s *arrow.Schema, extra ...arrow.Field) *arrow.Schema {
	return arrow.NewSchema(append(s.Fields(), extra...), nil)
}
