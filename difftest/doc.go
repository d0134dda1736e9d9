// Package difftest runs streamsql and DuckDB side by side over the same
// generated Parquet tables and compares their answers to a few hundred
// queries (filters, functions, aggregates, joins, subqueries, set
// operations). DuckDB is linked through cgo, so every other file of the
// package carries the duckdb build tag:
//
//	go test -tags duckdb ./difftest/...
//
// Without the tag the package is empty and costs nothing to build. The
// exported helpers (OpenDuckDB, DuckQuery, EngineQuery, Diff) are shared
// with the `streamsql bench batch` command.
package difftest
