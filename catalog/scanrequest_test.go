package catalog

import "testing"

// A reader may stop early only at a positive limit with no filters.
func TestRowLimit(t *testing.T) {
	f := []Predicate{{Column: 0, Op: "=", Value: int64(1)}}
	for _, tc := range []struct {
		req  ScanRequest
		want int64
	}{
		{ScanRequest{Limit: 5}, 5},
		{ScanRequest{Limit: 5, Filters: f}, -1},
		{ScanRequest{Limit: 0}, -1},
		{ScanRequest{Limit: -1}, -1},
	} {
		if got := tc.req.RowLimit(); got != tc.want {
			t.Errorf("%+v: RowLimit %d, want %d", tc.req, got, tc.want)
		}
	}
}
