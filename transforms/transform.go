// Package transforms holds streamsql's transform files and their runner.
//
// A transform file is SQL: one or more statements reading FROM __input__
// (the runner binds it to --input) whose SELECT rows go to --output, or a
// pipeline declaring its own tables with CREATE TABLE … WITH (connector=…)
// and writing them with INSERT INTO. Leading comment lines may set the
// runner's options, which command-line flags override:
//
//	-- @event-time timestamp
//	-- @watermark-delay 5s
//	SELECT DATE_TRUNC('minute', timestamp) AS minute, COUNT(*) AS count
//	FROM __input__ GROUP BY minute
//
// Header keys are the flags of `streamsql run`: event-time,
// watermark-delay, idle-timeout, checkpoint-interval, max-state-bytes,
// allowed-lateness, dedup-ttl, parallelism (underscores work too).
package transforms

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Transform is a loaded transform file.
type Transform struct {
	Path    string
	SQL     string
	Options Options // from the header
}

// Options are the runner's settings; zero values mean the defaults.
type Options struct {
	EventTime          string        // column of __input__ holding the event time
	WatermarkDelay     time.Duration // how far the watermark trails the event time
	IdleTimeout        time.Duration // an input split idle this long stops holding the watermark
	CheckpointInterval time.Duration // default 10 s
	MaxStateBytes      int64         // fail the job beyond this much operator state
	AllowedLateness    time.Duration // windows stay open this long past the watermark
	DedupTTL           time.Duration // how long SELECT DISTINCT remembers a row
	Parallelism        int           // key-partitioned instances of stateful operators
}

// Load reads a transform file.
func Load(path string) (*Transform, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading transform: %w", err)
	}
	return Parse(path, string(b))
}

// Parse reads a transform's header options from its text.
func Parse(path, sql string) (*Transform, error) {
	t := &Transform{Path: path, SQL: sql}
	sc := bufio.NewScanner(strings.NewReader(sql))
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		if !strings.HasPrefix(s, "--") {
			break
		}
		s = strings.TrimSpace(strings.TrimPrefix(s, "--"))
		if !strings.HasPrefix(s, "@") {
			continue
		}
		key, val, _ := strings.Cut(strings.TrimPrefix(s, "@"), " ")
		if err := t.Options.Set(key, strings.TrimSpace(val)); err != nil {
			return nil, fmt.Errorf("loading transform: %s:%d: %w", path, line, err)
		}
	}
	return t, nil
}

// Set sets one option by its flag name (dashes or underscores:
// max-state-bytes or max_state_bytes).
func (o *Options) Set(key, val string) error {
	key = strings.ReplaceAll(key, "_", "-")
	var err error
	dur := func(d *time.Duration) {
		*d, err = time.ParseDuration(val)
		if err == nil && *d < 0 {
			err = fmt.Errorf("must not be negative")
		}
	}
	switch key {
	case "event-time":
		o.EventTime = val
	case "watermark-delay":
		dur(&o.WatermarkDelay)
	case "idle-timeout":
		dur(&o.IdleTimeout)
	case "checkpoint-interval":
		dur(&o.CheckpointInterval)
	case "allowed-lateness":
		dur(&o.AllowedLateness)
	case "dedup-ttl":
		dur(&o.DedupTTL)
	case "max-state-bytes":
		o.MaxStateBytes, err = ParseBytes(val)
	case "parallelism":
		o.Parallelism, err = strconv.Atoi(val)
	default:
		return fmt.Errorf("unknown option @%s", key)
	}
	if err != nil {
		return fmt.Errorf("option @%s %q: %w", key, val, err)
	}
	return nil
}

// Merge overrides o's fields with the non-zero ones of over.
func (o Options) Merge(over Options) Options {
	if over.EventTime != "" {
		o.EventTime = over.EventTime
	}
	for _, p := range []struct{ dst, src *time.Duration }{
		{&o.WatermarkDelay, &over.WatermarkDelay}, {&o.IdleTimeout, &over.IdleTimeout},
		{&o.CheckpointInterval, &over.CheckpointInterval}, {&o.AllowedLateness, &over.AllowedLateness},
		{&o.DedupTTL, &over.DedupTTL},
	} {
		if *p.src != 0 {
			*p.dst = *p.src
		}
	}
	if over.MaxStateBytes != 0 {
		o.MaxStateBytes = over.MaxStateBytes
	}
	if over.Parallelism != 0 {
		o.Parallelism = over.Parallelism
	}
	return o
}

// ParseBytes reads sizes such as 512MB, 2GiB or 1000000.
func ParseBytes(s string) (int64, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, suf := range []struct {
		s string
		m int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1000}, {"MB", 1000_000}, {"GB", 1000_000_000}, {"B", 1}} {
		if strings.HasSuffix(u, suf.s) {
			u, mult = strings.TrimSpace(strings.TrimSuffix(u, suf.s)), suf.m
			break
		}
	}
	n, err := strconv.ParseInt(u, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("not a size: %q", s)
	}
	return n * mult, nil
}
