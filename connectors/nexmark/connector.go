package nexmark

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

func init() {
	catalog.RegisterConnector("nexmark", factory)
}

// options are the WITH (…) keys of connector 'nexmark' and their meaning.
var options = map[string]string{
	"connector":  "nexmark",
	"table":      "person, auction or bid (required)",
	"events.num": "events over all three tables (default 0: without end)",
	"rate":       "event-time rate in events/s (default 10000)",
	"seed":       "random seed (default 0)",
	"splits":     "stream splits (default 1)",
	"base_time":  "event time of event 0, RFC 3339 (default 2026-03-01T00:00:00Z)",
	"wall_rate":  "events/s of wall time over all splits (default 0: flat out)",
	// read by the engine, not by the connector
	"lookup":       "",
	"idle_timeout": "",
}

// factory builds a Table from CREATE TABLE options, e.g.
//
//	CREATE TABLE bid (auction BIGINT, …, extra VARCHAR,
//	  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
//	WITH (connector='nexmark', table='bid', 'events.num'='1000000', rate='10000', seed='1', splits='2')
//
// Declared columns are optional (the schema is fixed) but a WATERMARK
// needs them; when declared they must be the table's, in order.
func factory(opts map[string]string, declared *arrow.Schema) (catalog.Table, error) {
	for k := range opts {
		if _, ok := options[k]; !ok {
			return nil, fmt.Errorf("creating nexmark table: unknown option %q (have %s)", k, optionNames())
		}
	}
	kind, err := ParseKind(opts["table"])
	if err != nil {
		return nil, fmt.Errorf("creating nexmark table: %w", err)
	}
	var cfg Config
	splits := 1
	for _, o := range []struct {
		key   string
		parse func(string) error
	}{
		{"events.num", func(v string) (err error) { cfg.Events, err = strconv.ParseInt(v, 10, 64); return }},
		{"rate", func(v string) (err error) { cfg.Rate, err = strconv.ParseFloat(v, 64); return }},
		{"seed", func(v string) (err error) { cfg.Seed, err = strconv.ParseUint(v, 10, 64); return }},
		{"splits", func(v string) (err error) { splits, err = strconv.Atoi(v); return }},
		{"base_time", func(v string) (err error) { cfg.BaseTime, err = time.Parse(time.RFC3339Nano, v); return }},
		{"wall_rate", func(v string) (err error) { cfg.WallRate, err = strconv.ParseFloat(v, 64); return }},
	} {
		if v, ok := opts[o.key]; ok {
			if err := o.parse(v); err != nil {
				return nil, fmt.Errorf("creating nexmark table: option %s %q: %w", o.key, v, err)
			}
		}
	}
	if err := checkDeclared(kind, declared); err != nil {
		return nil, fmt.Errorf("creating nexmark table: %w", err)
	}
	return NewTable(kind, cfg, splits)
}

// checkDeclared accepts no columns, or exactly the table's.
func checkDeclared(k Kind, declared *arrow.Schema) error {
	if declared == nil || declared.NumFields() == 0 {
		return nil
	}
	want := Schema(k)
	if declared.NumFields() != want.NumFields() {
		return fmt.Errorf("nexmark %s has %d columns (%s), %d declared", k, want.NumFields(), columnList(want), declared.NumFields())
	}
	for i, f := range want.Fields() {
		d := declared.Field(i)
		if !strings.EqualFold(d.Name, f.Name) || !arrow.TypeEqual(d.Type, f.Type) {
			return fmt.Errorf("nexmark %s column %d is %s %s, declared %s %s", k, i+1, f.Name, f.Type, d.Name, d.Type)
		}
	}
	return nil
}

func columnList(s *arrow.Schema) string {
	var names []string
	for _, f := range s.Fields() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

func optionNames() string {
	var names []string
	for k, doc := range options {
		if doc != "" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
