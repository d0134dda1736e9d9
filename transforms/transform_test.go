package transforms

import (
	"strings"
	"testing"
	"time"
)

func TestParseHeader(t *testing.T) {
	tr, err := Parse("t.sql", `-- A comment line is ignored.
-- @event-time ts
-- @watermark_delay 5s
-- @max-state-bytes 2GiB
-- @parallelism 2

-- @checkpoint-interval 1m
SELECT 1 -- @dedup-ttl 1h is not a header line
`)
	if err != nil {
		t.Fatal(err)
	}
	want := Options{EventTime: "ts", WatermarkDelay: 5 * time.Second, MaxStateBytes: 2 << 30, Parallelism: 2}
	want.CheckpointInterval = time.Minute // a blank line does not end the header
	if got := tr.Options; got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestParseHeaderErrors(t *testing.T) {
	for _, c := range []struct{ sql, want string }{
		{"-- @nope 1\nSELECT 1", "t.sql:1: unknown option @nope"},
		{"-- x\n-- @watermark-delay soon\nSELECT 1", `t.sql:2: option @watermark-delay "soon"`},
		{"-- @dedup-ttl -5s\nSELECT 1", "must not be negative"},
		{"-- @max-state-bytes lots\nSELECT 1", `not a size: "lots"`},
		{"-- @parallelism two\nSELECT 1", `option @parallelism "two"`},
	} {
		if _, err := Parse("t.sql", c.sql); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.sql, err, c.want)
		}
	}
}

func TestMergeAndBytes(t *testing.T) {
	base := Options{EventTime: "a", WatermarkDelay: time.Second, Parallelism: 1}
	got := base.Merge(Options{WatermarkDelay: 2 * time.Second, DedupTTL: time.Minute})
	if got.EventTime != "a" || got.WatermarkDelay != 2*time.Second || got.DedupTTL != time.Minute || got.Parallelism != 1 {
		t.Errorf("merge: %+v", got)
	}
	for in, want := range map[string]int64{"1000": 1000, "1KB": 1000, "1KiB": 1024, "3MB": 3_000_000, "1GiB": 1 << 30, "7B": 7} {
		if n, err := ParseBytes(in); err != nil || n != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, n, err, want)
		}
	}
}
