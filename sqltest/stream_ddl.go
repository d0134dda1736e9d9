package sqltest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/bind"
	"github.com/streamsql/streamsql/planner/parse"
)

// statement runs a statement record as the batch runner does; a CREATE
// TABLE of a streaming connector then becomes a stream with its event
// time (WATERMARK FOR) and idle_timeout, as StartJob makes the tables a
// pipeline script creates, so that later stream directives read it as one.
func (s *streamRunner) statement(ctx context.Context, r *Record) ([]string, error) {
	got, err := runRecord(s.db, r)
	if err != nil || len(r.Args) == 0 || r.Args[0] != "ok" {
		return got, err
	}
	stmts, err := parse.Parse(r.SQL)
	if err != nil {
		return nil, err
	}
	for _, st := range stmts {
		if ct, ok := st.(*parse.CreateTable); ok {
			if err := s.markStream(ct, r.SQL); err != nil {
				return nil, err
			}
		}
	}
	return got, nil
}

// markStream replaces the table ct created, when it is a stream, by a
// fresh one of the same connector wrapped as a catalog.StreamTable.
//
// A fresh one, because catalog.Memory.Put releases the table it replaces
// (and would release the stream being wrapped). The file's streams are
// remembered for release at the end: a StreamTable hides its table's
// Release from the catalog.
func (s *streamRunner) markStream(ct *parse.CreateTable, src string) error {
	bound, err := bind.Bind(ct, src, s.db.Catalog(), bind.Options{Streaming: true})
	if err != nil {
		return fmt.Errorf("binding CREATE TABLE: %w", err)
	}
	b, ok := bound.(*bind.CreateTable)
	if !ok {
		return nil
	}
	conn := b.Options["connector"]
	if conn == "" || strings.EqualFold(b.Options["lookup"], "true") {
		return nil
	}
	name := strings.Join(b.Name, ".")
	t, _, err := s.db.Catalog().Lookup(b.Name)
	if err != nil {
		return err
	}
	if _, isStream := t.(catalog.Streamable); !isStream {
		return nil
	}
	if _, done := t.(*catalog.StreamTable); done {
		return nil
	}
	et := catalog.EventTime{}
	if b.Watermark != nil {
		if et, err = b.Watermark.EventTime(); err != nil {
			return fmt.Errorf("creating table %s: %w", name, err)
		}
	}
	if v := b.Options["idle_timeout"]; v != "" {
		if et.IdleTimeout, err = time.ParseDuration(v); err != nil {
			return fmt.Errorf("creating table %s: idle_timeout: %w", name, err)
		}
	}
	fresh, err := catalog.OpenConnector(conn, b.Options, b.Schema)
	if err != nil {
		return fmt.Errorf("creating table %s: %w", name, err)
	}
	if r, ok := fresh.(releaser); ok {
		s.streams = append(s.streams, r)
	}
	st, err := catalog.NewStreamTable(fresh, et)
	if err != nil {
		return fmt.Errorf("creating table %s: %w", name, err)
	}
	s.db.RegisterTable(name, st)
	return nil
}
