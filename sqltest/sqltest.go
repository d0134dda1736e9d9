// Package sqltest runs streamsql's golden files (testdata/sql/**/*.test),
// a sqllogictest-like format:
//
//	# comment
//	statement ok
//	CREATE TABLE t (a BIGINT, b VARCHAR)
//
//	statement error does not exist        -- the error must contain the text
//	SELECT nope FROM t
//
//	statement error                       -- the whole message, caret included
//	SELECT nope FROM t
//	----
//	line 1, column 8: column "nope" does not exist
//	SELECT nope FROM t
//	       ^
//
//	query IT rowsort                      -- one letter per column, then rows
//	SELECT a, b FROM t
//	----
//	1 x
//
//	explain                               -- the optimized plan tree
//	SELECT a FROM t WHERE a > 1
//	----
//	…
//
// Column letters: I integer/bigint, R double, T varchar/json, B boolean,
// S timestamp, D date, V interval. Values print space-separated, NULL as
// NULL, the empty string as (empty), doubles to 12 significant digits.
// `rowsort` sorts rows before comparing (for unordered results). Every
// file runs on a fresh engine; Rewrite regenerates the expected blocks.
//
// Streaming files (RunStreamFile; stream_*.test) add directives that drive
// a streaming job in Poll mode on the test's goroutine. A CREATE TABLE of
// a streaming connector makes a stream, its event time given by WATERMARK:
//
//	statement ok
//	CREATE TABLE ev (k VARCHAR, v BIGINT, ts TIMESTAMP,
//	  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (connector='memory'[, splits='2', idle_timeout='5s'])
//
//	stream [key=value …]          -- start a job on the SQL (Engine.StartJob)
//	SELECT …                      -- closing the previous one
//
//	stream [key=value …] error [text]   -- StartJob must fail (block: the
//	SELECT …                            -- whole message, when no text)
//
//	stream explain                -- plan only: the operator trees
//	SELECT …
//	----
//	…
//
//	feed ev [split]               -- append JSON rows (one batch), up to
//	{"k":"a","v":1,"ts":"2026-01-01 00:00:01"}   -- the blank line
//
//	watermark ev 2026-01-01 00:00:10 [split]   -- a source-declared watermark
//	end ev                        -- end of input (CloseWrite)
//	advance 10s                   -- move the processing clock
//	checkpoint                    -- Job.Checkpoint
//	restart                       -- crash (Close, no checkpoint) and start
//	                              -- the same SQL again: it resumes from the
//	                              -- last checkpoint on the same state
//	                              -- directory, sink and tables
//
//	expect [rowsort] [all]        -- poll until nothing moves (two polls in
//	----                          -- a row that read nothing, wrote nothing
//	+ 2026-01-01 00:00:00 a 3     -- and left the watermark), then the rows
//	- …                           -- the sink got since the last expect: +
//	                              -- insert, - retraction (_op = delete);
//	                              -- all: every row the sink holds
//
//	expect error [text]           -- polling fails (with that text)
//
//	metrics                       -- the job's counters and watermark
//	----                          -- (none before the first, end after the last)
//	events_in=3 events_out=1 late=0 dead_lettered=0 watermark=2026-01-01 00:00:09
//
//	dead_letters                  -- dead letters since the last such block,
//	----                          -- "reason | row" (values as in expect)
//
// Stream options: lateness=DUR (allowed lateness), dedup_ttl=DUR,
// checkpoint_interval=DUR (default: only explicit checkpoints),
// parallelism=N, batch_rows=N, max_state_bytes=N, input=TABLE (bound to
// __input__), dead_letter=off. Jobs write to a memory sink, keep state in
// a temporary directory, read with Linger -1 (never wait), and run on the
// engine's clock, which must be the runner's Clock. After a restart, rows
// the sink took back (those after the checkpoint) count as not seen.
package sqltest

import (
	"fmt"
	"os"
	"strings"
)

// directives maps each directive to whether it takes a body (SQL, or the
// JSON rows of feed) on the lines after it.
var directives = map[string]bool{
	"statement": true, "query": true, "explain": true, "stream": true, "feed": true,
	"watermark": false, "end": false, "advance": false, "checkpoint": false, "restart": false,
	"expect": false, "metrics": false, "dead_letters": false,
}

// Record is one directive of a golden file.
type Record struct {
	Line     int    // line of the directive, for messages
	Kind     string // "statement", "query", "explain", or a streaming directive
	Args     []string
	SQL      string   // the body: SQL, or the JSON rows of feed; "" for directives without one
	Expected []string // lines after ----; nil when there was no ---- block
	HasBlock bool
	Comments []string // comment lines just before the directive
}

// Parse reads a golden file's records.
func Parse(path string) ([]Record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading golden file: %w", err)
	}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	var recs []Record
	var comments []string
	for i := 0; i < len(lines); {
		line := strings.TrimSpace(lines[i])
		if line == "" || strings.HasPrefix(line, "#") {
			// A blank line after comments stays with them (a file's
			// header, set apart from its first record).
			if line != "" || len(comments) > 0 && comments[len(comments)-1] != "" {
				comments = append(comments, strings.TrimRight(lines[i], " \t"))
			}
			i++
			continue
		}
		f := strings.Fields(line)
		body, ok := directives[f[0]]
		if !ok {
			return nil, fmt.Errorf("%s:%d: unknown directive %q", path, i+1, f[0])
		}
		rec := Record{Line: i + 1, Kind: f[0], Args: f[1:], Comments: comments}
		comments = nil
		i++
		if body {
			var sql []string
			for i < len(lines) && strings.TrimSpace(lines[i]) != "" && strings.TrimSpace(lines[i]) != "----" {
				sql = append(sql, lines[i])
				i++
			}
			rec.SQL = strings.Join(sql, "\n")
			if rec.SQL == "" {
				return nil, fmt.Errorf("%s:%d: %s without SQL", path, rec.Line, rec.Kind)
			}
		}
		if i < len(lines) && strings.TrimSpace(lines[i]) == "----" {
			rec.HasBlock = true
			i++
			for i < len(lines) && lines[i] != "" {
				rec.Expected = append(rec.Expected, lines[i])
				i++
			}
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// Format writes records back as a golden file.
func Format(recs []Record) string {
	var b strings.Builder
	for i, r := range recs {
		if i > 0 {
			b.WriteString("\n")
		}
		for _, c := range r.Comments {
			b.WriteString(c + "\n")
		}
		b.WriteString(strings.Join(append([]string{r.Kind}, r.Args...), " ") + "\n")
		if directives[r.Kind] {
			b.WriteString(r.SQL + "\n")
		}
		if r.HasBlock {
			b.WriteString("----\n")
			for _, l := range r.Expected {
				b.WriteString(l + "\n")
			}
		}
	}
	return b.String()
}
