package sqltest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// appendable is a stream test rows can be added to (memory.Stream).
type appendable interface {
	AppendJSONTo(split int, lines ...string) error
	WatermarkTo(split int, ts int64) error
	CloseWrite()
}

// stream finds the memory stream a feed, watermark or end names.
func (s *streamRunner) stream(name string) (appendable, error) {
	t, _, err := s.db.Catalog().Lookup(strings.Split(name, "."))
	if err != nil {
		return nil, err
	}
	if st, ok := t.(*catalog.StreamTable); ok {
		t = st.Table
	}
	a, ok := t.(appendable)
	if !ok {
		return nil, fmt.Errorf("table %s is %T, not a memory stream", name, t)
	}
	return a, nil
}

// splitArg splits a trailing split number off args when there are more
// than fixed of them.
func splitArg(args []string, fixed int) ([]string, int, error) {
	if len(args) <= fixed {
		return args, 0, nil
	}
	n, err := strconv.Atoi(args[len(args)-1])
	if err != nil || n < 0 {
		return nil, 0, fmt.Errorf("bad split %q", args[len(args)-1])
	}
	return args[:len(args)-1], n, nil
}

// feed appends the record's JSON lines to a stream: feed t [split].
func (s *streamRunner) feed(r *Record) error {
	args, split, err := splitArg(r.Args, 1)
	if err != nil || len(args) != 1 {
		return fmt.Errorf("feed wants a table and an optional split, got %q", r.Args)
	}
	st, err := s.stream(args[0])
	if err != nil {
		return err
	}
	return st.AppendJSONTo(split, strings.Split(r.SQL, "\n")...)
}

// watermark declares a source watermark: watermark t 2026-01-01 00:00:10
// [split] (the timestamp as one or two words).
func (s *streamRunner) watermark(r *Record) error {
	args, split, err := splitArg(r.Args, 3)
	if err != nil || len(args) < 2 {
		return fmt.Errorf("watermark wants a table, a timestamp and an optional split, got %q", r.Args)
	}
	us, err := types.ParseTimestamp(strings.Join(args[1:], " "))
	if err != nil {
		return fmt.Errorf("watermark: %w", err)
	}
	st, err := s.stream(args[0])
	if err != nil {
		return err
	}
	return st.WatermarkTo(split, us)
}
