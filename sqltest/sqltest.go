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
package sqltest

import (
	"fmt"
	"os"
	"strings"
)

// Record is one directive of a golden file.
type Record struct {
	Line     int    // line of the directive, for messages
	Kind     string // "statement", "query", "explain"
	Args     []string
	SQL      string
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
			if line != "" {
				comments = append(comments, lines[i])
			}
			i++
			continue
		}
		f := strings.Fields(line)
		switch f[0] {
		case "statement", "query", "explain":
		default:
			return nil, fmt.Errorf("%s:%d: unknown directive %q", path, i+1, f[0])
		}
		rec := Record{Line: i + 1, Kind: f[0], Args: f[1:], Comments: comments}
		comments = nil
		i++
		var sql []string
		for i < len(lines) && strings.TrimSpace(lines[i]) != "" && strings.TrimSpace(lines[i]) != "----" {
			sql = append(sql, lines[i])
			i++
		}
		rec.SQL = strings.Join(sql, "\n")
		if rec.SQL == "" {
			return nil, fmt.Errorf("%s:%d: %s without SQL", path, rec.Line, rec.Kind)
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
		b.WriteString(r.SQL + "\n")
		if r.HasBlock {
			b.WriteString("----\n")
			for _, l := range r.Expected {
				b.WriteString(l + "\n")
			}
		}
	}
	return b.String()
}
