// Package queries loads the Nexmark query files of testdata/nexmark: one
// file per query holding our streaming SQL beside the Flink text it
// corresponds to, whether it runs, and its batch equivalent for DuckDB.
//
// File format (qN.sql):
//
//	-- name: q5
//	-- title: Hot Items
//	-- status: runs                      (or: unsupported <reason>)
//	-- flink:
//	-- <the Flink query, each line commented>
//	-- streamsql:
//	SELECT …                             (the streaming query over person, auction, bid)
//	-- duckdb:
//	SELECT …                             (optional: the batch equivalent over the same tables)
//
// The streaming and DuckDB sections run until the next section marker or
// the end of the file; a trailing semicolon is dropped.
package queries

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Query is one Nexmark query.
type Query struct {
	Name   string // "q5"
	Title  string
	Runs   bool   // status: runs
	Reason string // why not, when it does not run
	Flink  string // the Flink text it corresponds to
	SQL    string // our streaming query
	DuckDB string // the batch equivalent, "" when there is none
	Path   string
}

// Load reads every q*.sql file of dir, ordered by query number.
func Load(dir string) ([]Query, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "q*.sql"))
	if err != nil {
		return nil, fmt.Errorf("loading nexmark queries: %w", err)
	}
	var out []Query
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("loading nexmark queries: %w", err)
		}
		q, err := Parse(p, string(data))
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool { return number(out[i].Name) < number(out[j].Name) })
	return out, nil
}

func number(name string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(name, "q"))
	if err != nil {
		return 1 << 30
	}
	return n
}

// Parse reads one query file.
func Parse(path, text string) (Query, error) {
	q := Query{Path: path}
	var section string
	var flink, sql, duck []string
	for i, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if key, val, ok := marker(t); ok {
			switch key {
			case "name":
				q.Name = val
			case "title":
				q.Title = val
			case "status":
				if val == "runs" {
					q.Runs = true
				} else if r, ok := strings.CutPrefix(val, "unsupported"); ok {
					q.Reason = strings.TrimSpace(r)
				} else {
					return q, fmt.Errorf("%s:%d: status must be runs or unsupported <reason>, not %q", path, i+1, val)
				}
			case "flink", "streamsql", "duckdb":
				section = key
			default:
				return q, fmt.Errorf("%s:%d: unknown section %q", path, i+1, key)
			}
			continue
		}
		switch section {
		case "flink":
			flink = append(flink, strings.TrimPrefix(strings.TrimPrefix(line, "--"), " "))
		case "streamsql":
			sql = append(sql, line)
		case "duckdb":
			duck = append(duck, line)
		}
	}
	q.Flink = strings.TrimSpace(strings.Join(flink, "\n"))
	q.SQL = trimSQL(sql)
	q.DuckDB = trimSQL(duck)
	switch {
	case q.Name == "":
		return q, fmt.Errorf("%s: no -- name: line", path)
	case q.SQL == "":
		return q, fmt.Errorf("%s: no -- streamsql: section", path)
	case !q.Runs && q.Reason == "":
		return q, fmt.Errorf("%s: no -- status: line", path)
	}
	return q, nil
}

// marker reads "-- key: value" section lines.
func marker(t string) (key, val string, ok bool) {
	rest, isComment := strings.CutPrefix(t, "--")
	if !isComment {
		return "", "", false
	}
	key, val, ok = strings.Cut(strings.TrimSpace(rest), ":")
	if !ok || strings.ContainsAny(key, " \t") {
		return "", "", false
	}
	switch key {
	case "name", "title", "status", "flink", "streamsql", "duckdb":
		return key, strings.TrimSpace(val), true
	}
	return "", "", false
}

func trimSQL(lines []string) string {
	s := strings.TrimSpace(strings.Join(lines, "\n"))
	return strings.TrimSpace(strings.TrimSuffix(s, ";"))
}
