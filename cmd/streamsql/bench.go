package main

import "io"

// benchRunners holds the benchmark suites compiled into this binary: stream
// always (bench_stream.go); batch needs DuckDB and so lives behind the
// duckdb build tag.
var benchRunners = map[string]func(args []string, out io.Writer) error{}

func benchCmd(args []string, out io.Writer) error {
	if len(args) == 0 {
		return usagef("bench wants a suite: stream, nexmark, cold, serve or batch")
	}
	r, ok := benchRunners[args[0]]
	if !ok {
		if args[0] == "batch" {
			return usagef("bench batch compares against DuckDB in-process; build with: go run -tags duckdb ./cmd/streamsql bench batch")
		}
		return usagef("unknown bench suite %q", args[0])
	}
	return r(args[1:], out)
}
