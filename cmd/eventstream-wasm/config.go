package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/streamsql/streamsql/eventstream"
	"github.com/streamsql/streamsql/eventstream/wal"
)

// hostConfig is what the Durable Object hands over at start, built from
// its environment (wrangler vars and secrets): the same settings as
// `streamsql serve`'s flags.
type hostConfig struct {
	// Token has every scope on every topic (the STREAMSQL_TOKEN secret).
	Token string `json:"token"`
	// Tokens holds `token topic-glob read,write` lines (STREAMSQL_TOKENS).
	Tokens string `json:"tokens"`
	// TopicSchemas are --topic-schema values: "orders=id BIGINT, amount DOUBLE".
	TopicSchemas []string `json:"topicSchemas"`
	// EventTimeFields maps topics to their event-time field.
	EventTimeFields map[string]string `json:"eventTimeFields"`
	// HotRetention is a Go duration ("5m").
	HotRetention string `json:"hotRetention"`
	HotMaxBytes  int64  `json:"hotMaxBytes"`
	// BatchMaxBytes and BatchMaxSeconds bound the cold-tier batches.
	BatchMaxBytes   int64    `json:"batchMaxBytes"`
	BatchMaxSeconds int      `json:"batchMaxSeconds"`
	AllowOrigins    []string `json:"allowOrigins"`
	// LiveQueueLength is how many updates a live subscriber may have
	// waiting (live.Options.QueueLength).
	LiveQueueLength int `json:"liveQueueLength"`
	// SubscriberQueue is how far an events socket may fall behind the
	// newest event before it is closed (eventstream.Config.SubscriberQueue).
	SubscriberQueue int `json:"subscriberQueue"`
	// GoMemLimit is the Go heap's soft limit in bytes: the isolate has
	// 128 MB in all and the wasm memory never shrinks, so the collector
	// must work before the heap doubles.
	GoMemLimit int64 `json:"goMemLimit"`
}

// Cold-tier batch defaults, as `streamsql serve`'s flags.
const (
	defaultBatchMaxBytes   = 1 << 20
	defaultBatchMaxSeconds = 60
	defaultGoMemLimit      = 80 << 20
)

// parseHostConfig reads the JSON the Durable Object passes.
func parseHostConfig(raw string) (hostConfig, error) {
	var hc hostConfig
	if strings.TrimSpace(raw) == "" {
		raw = "{}"
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&hc); err != nil {
		return hc, fmt.Errorf("reading host configuration: %w", err)
	}
	if hc.BatchMaxBytes <= 0 {
		hc.BatchMaxBytes = defaultBatchMaxBytes
	}
	if hc.BatchMaxSeconds <= 0 {
		hc.BatchMaxSeconds = defaultBatchMaxSeconds
	}
	if hc.GoMemLimit <= 0 {
		hc.GoMemLimit = defaultGoMemLimit
	}
	return hc, nil
}

// serverConfig turns the host configuration into the event stream
// server's; dir keeps the write-ahead log.
func (hc hostConfig) serverConfig(dir wal.Dir, logf func(string, ...any)) (eventstream.Config, error) {
	cfg := eventstream.Config{
		StateDir:        dir,
		HotMaxBytes:     hc.HotMaxBytes,
		BatchMaxBytes:   hc.BatchMaxBytes,
		BatchMaxSeconds: hc.BatchMaxSeconds,
		AllowOrigins:    hc.AllowOrigins,
		SubscriberQueue: hc.SubscriberQueue,
		EventTimeFields: hc.EventTimeFields,
		Logf:            logf,
		// Expiry runs on the object's alarm (Host.Evict), not a ticker,
		// so an idle object can hibernate.
		ManualEviction: true,
	}
	if hc.HotRetention != "" {
		d, err := time.ParseDuration(hc.HotRetention)
		if err != nil || d <= 0 {
			return cfg, fmt.Errorf("reading host configuration: hotRetention %q: want a positive duration such as 5m", hc.HotRetention)
		}
		cfg.HotRetention = d
	}
	for _, spec := range hc.TopicSchemas {
		ts, err := eventstream.ParseTopicSchema(spec)
		if err != nil {
			return cfg, fmt.Errorf("reading host configuration: %w", err)
		}
		cfg.Topics = append(cfg.Topics, ts)
	}
	if hc.Token != "" {
		cfg.Tokens = append(cfg.Tokens, eventstream.TokenRule{Token: hc.Token, Topics: "*", Scopes: eventstream.ScopeRead | eventstream.ScopeWrite})
	}
	for n, line := range strings.Split(hc.Tokens, "\n") {
		rule, ok, err := eventstream.ParseTokenLine(line)
		if err != nil {
			// The line holds a secret: name it by number only.
			return cfg, fmt.Errorf("reading host configuration: tokens line %d: %w", n+1, err)
		}
		if ok {
			cfg.Tokens = append(cfg.Tokens, rule)
		}
	}
	return cfg, nil
}
