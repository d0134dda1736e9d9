// Package streamsql is the embeddable SQL engine: register tables (files,
// in-memory batches or any catalog.Table), then plan and run SQL over them.
//
//	db := streamsql.New()
//	db.RegisterFile("events", "testdata/events.jsonl", file.Options{})
//	res, err := db.Query(ctx, "SELECT status, count(*) FROM events GROUP BY status")
//
// Statements are parsed (planner/parse), bound (planner/bind), optimized
// (planner/rules), planned into operators (planner/physical) and run by
// exec.
package streamsql

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
	_ "github.com/streamsql/streamsql/connectors/memory" // CREATE TABLE … WITH (connector = 'memory')
	"github.com/streamsql/streamsql/planner/parse"
)

// Engine holds a catalog and runs statements against it. Safe for
// concurrent use: each statement plans and runs independently.
type Engine struct {
	cat         *catalog.Memory
	mem         memory.Allocator
	now         func() time.Time
	parallelism int
}

// Option configures an Engine.
type Option func(*Engine)

// WithAllocator sets the Arrow allocator (default: the Go allocator).
// Tests pass a memory.CheckedAllocator to prove nothing leaks.
func WithAllocator(m memory.Allocator) Option { return func(e *Engine) { e.mem = m } }

// WithClock fixes what NOW() returns (default: the wall clock at the start
// of each statement).
func WithClock(now func() time.Time) Option { return func(e *Engine) { e.now = now } }

// WithParallelism caps how many goroutines one query may scan and
// pre-aggregate with (default 0: GOMAXPROCS; 1: single-threaded).
func WithParallelism(n int) Option { return func(e *Engine) { e.parallelism = n } }

// New returns an engine with an empty in-memory catalog.
func New(opts ...Option) *Engine {
	e := &Engine{cat: catalog.NewMemory(), mem: memory.NewGoAllocator(), now: time.Now}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Catalog is the engine's catalog, for registering tables directly.
func (e *Engine) Catalog() *catalog.Memory { return e.cat }

// Close releases every table the engine holds in memory.
func (e *Engine) Close() { e.cat.Close() }

// RegisterTable makes t queryable as name.
func (e *Engine) RegisterTable(name string, t catalog.Table) { e.cat.Put(name, t) }

// RegisterFile makes a JSONL, CSV or Parquet file queryable as name.
func (e *Engine) RegisterFile(name, path string, opts file.Options) error {
	t, err := file.Open(path, opts)
	if err != nil {
		return fmt.Errorf("registering %s: %w", name, err)
	}
	e.cat.Put(name, t)
	return nil
}

// Result is the outcome of one statement. For queries it holds the result
// batches (owned by the Result: call Release); for other statements Tag
// says what happened (e.g. "CREATE TABLE").
type Result struct {
	Names   []string
	Schema  *arrow.Schema
	Batches []arrow.RecordBatch
	Tag     string
}

// Release frees the result's batches.
func (r *Result) Release() {
	for _, b := range r.Batches {
		b.Release()
	}
	r.Batches = nil
}

// NumRows counts the result rows.
func (r *Result) NumRows() int64 {
	var n int64
	for _, b := range r.Batches {
		n += b.NumRows()
	}
	return n
}

// Query runs one statement and collects its result.
func (e *Engine) Query(ctx context.Context, sql string, params ...any) (*Result, error) {
	res := &Result{}
	err := e.Stream(ctx, sql, params, func(names []string, s *arrow.Schema) { res.Names, res.Schema = names, s },
		func(b arrow.RecordBatch) error { res.Batches = append(res.Batches, b); return nil },
		func(tag string) { res.Tag = tag })
	if err != nil {
		res.Release()
		return nil, err
	}
	return res, nil
}

// Exec runs every statement of a script in order and returns the result
// of each; it stops at the first error.
func (e *Engine) Exec(ctx context.Context, script string, params ...any) ([]*Result, error) {
	stmts, err := parse.Parse(script)
	if err != nil {
		return nil, err
	}
	var out []*Result
	for _, st := range stmts {
		res := &Result{}
		err := e.run(ctx, st, script, params, func(names []string, s *arrow.Schema) { res.Names, res.Schema = names, s },
			func(b arrow.RecordBatch) error { res.Batches = append(res.Batches, b); return nil },
			func(tag string) { res.Tag = tag })
		if err != nil {
			res.Release()
			for _, r := range out {
				r.Release()
			}
			return nil, err
		}
		out = append(out, res)
	}
	return out, nil
}

// Stream runs one statement, calling header once with the output column
// names and schema, then emit for each result batch (ownership moves to
// emit), or done with a tag for statements without rows.
func (e *Engine) Stream(ctx context.Context, sql string, params []any, header func([]string, *arrow.Schema), emit func(arrow.RecordBatch) error, done func(tag string)) error {
	st, err := parse.ParseOne(sql)
	if err != nil {
		return err
	}
	return e.run(ctx, st, sql, params, header, emit, done)
}

// Explain returns the optimized plan of sql as an indented tree; with
// analyze it also runs the query and adds rows and time per operator.
func (e *Engine) Explain(ctx context.Context, sql string, analyze bool) (string, error) {
	st, err := parse.ParseOne(sql)
	if err != nil {
		return "", err
	}
	// The statement may say EXPLAIN [ANALYZE] itself (the CLI's explain
	// command is handed what users type into query).
	ex, ok := st.(*parse.Explain)
	if !ok {
		ex = &parse.Explain{Pos: st.Position(), Stmt: st}
	}
	ex.Analyze = ex.Analyze || analyze
	var lines []string
	err = e.run(ctx, ex, sql, nil,
		func([]string, *arrow.Schema) {},
		func(b arrow.RecordBatch) error {
			defer b.Release()
			for i := 0; i < int(b.NumRows()); i++ {
				lines = append(lines, b.Column(0).ValueStr(i))
			}
			return nil
		}, func(string) {})
	if err != nil {
		return "", err
	}
	return strings.Join(lines, "\n") + "\n", nil
}
