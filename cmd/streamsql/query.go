package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/connectors/file"
	"github.com/streamsql/streamsql/connectors/iceberg"
	"github.com/streamsql/streamsql/render"
)

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type commonFlags struct {
	tables    listFlag
	onError   string
	warehouse string
	catalog   string
	wh        *iceberg.Warehouse // attached by engine; closed by close
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.Var(&c.tables, "table", "register a file as a table: NAME=PATH (.jsonl, .csv, .parquet); repeatable")
	fs.StringVar(&c.onError, "on-error", "fail", "malformed input records: fail (stop with file:line) or skip (skip and count)")
	fs.StringVar(&c.warehouse, "warehouse", "", "Iceberg warehouse whose tables are queryable as ns.table (default "+iceberg.DefaultWarehouse+" when it exists)")
	fs.StringVar(&c.catalog, "catalog", "", "Iceberg REST catalog whose tables are queryable as ns.table: r2://ACCOUNT/BUCKET or an http(s) URI (token and S3 keys from the environment)")
}

// close releases the attached warehouse, if any.
func (c *commonFlags) close() {
	if c.wh != nil {
		_ = c.wh.Close()
		c.wh = nil
	}
}

// engine builds an engine with the --table files and the warehouse's
// tables registered. The caller calls close after its queries.
func (c *commonFlags) engine() (*streamsql.Engine, error) {
	if c.onError != "fail" && c.onError != "skip" {
		return nil, usagef("--on-error must be fail or skip, not %q", c.onError)
	}
	if c.catalog != "" && c.warehouse != "" {
		return nil, exclusiveTableSource()
	}
	db := streamsql.New()
	for _, t := range c.tables {
		name, path, ok := strings.Cut(t, "=")
		if !ok || name == "" || path == "" {
			return nil, usagef("--table wants NAME=PATH, got %q", t)
		}
		if err := db.RegisterFile(name, path, file.Options{OnError: c.onError}); err != nil {
			return nil, err
		}
	}
	var wh *iceberg.Warehouse
	var err error
	if c.catalog != "" {
		wh, err = attachCatalog(context.Background(), db, c.catalog)
	} else {
		wh, err = attachWarehouse(context.Background(), db, c.warehouse)
	}
	if err != nil {
		return nil, err
	}
	c.wh = wh
	return db, nil
}

// parseInterleaved parses flags that may come before or after the
// positional arguments, returning the positionals.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func queryCmd(args []string, stdout io.Writer) error {
	fs := newFlagSet("query")
	var c commonFlags
	c.register(fs)
	format := fs.String("format", "table", "output format: table, csv, json or jsonl")
	var params listFlag
	fs.Var(&params, "param", "value for $1, $2, … in order; repeatable")
	server := fs.String("server", "", "run the query on a running `streamsql serve` at this URL (hot and cold tiers) instead of locally")
	token := fs.String("token", "", "bearer token for --server (default $"+serveTokenEnv+")")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("query wants exactly one SQL argument, got %d", len(pos))
	}
	w, err := render.New(*format, stdout)
	if err != nil {
		return usagef("%v", err)
	}
	if *server != "" {
		if len(c.tables) > 0 || c.warehouse != "" || c.catalog != "" {
			return usagef("--server runs the query on the server: --table, --warehouse and --catalog do not apply")
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		return remoteQuery(ctx, *server, *token, pos[0], paramValues(params), w)
	}
	db, err := c.engine()
	if err != nil {
		return err
	}
	defer c.close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return stream(ctx, db, pos[0], paramValues(params), w, stdout)
}

// stream runs sql, rendering its rows with w (or its tag to out).
func stream(ctx context.Context, db *streamsql.Engine, sql string, params []any, w render.Writer, out io.Writer) error {
	started := false
	err := db.Stream(ctx, sql, params,
		func(names []string, s *arrow.Schema) {
			started = true
			if err := w.Header(names, s); err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
		},
		func(b arrow.RecordBatch) error {
			defer b.Release()
			return w.Batch(b)
		},
		func(tag string) { fmt.Fprintln(out, tag) })
	if err != nil {
		return err
	}
	if started {
		return w.Close()
	}
	return nil
}

// paramValues types command-line parameters: integers, floats and
// true/false become numbers and booleans, anything else stays text (which
// the binder coerces by context, e.g. to a timestamp).
func paramValues(ps []string) []any {
	out := make([]any, len(ps))
	for i, p := range ps {
		if n, err := strconv.ParseInt(p, 10, 64); err == nil {
			out[i] = n
		} else if f, err := strconv.ParseFloat(p, 64); err == nil && strings.ContainsAny(p, ".eE") {
			out[i] = f
		} else if p == "true" || p == "false" {
			out[i] = p == "true"
		} else if strings.EqualFold(p, "null") {
			out[i] = nil
		} else {
			out[i] = p
		}
	}
	return out
}

func explainCmd(args []string, stdout io.Writer) error {
	fs := newFlagSet("explain")
	var c commonFlags
	c.register(fs)
	analyze := fs.Bool("analyze", false, "run the query and show rows and time per operator")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("explain wants exactly one SQL argument, got %d", len(pos))
	}
	db, err := c.engine()
	if err != nil {
		return err
	}
	defer c.close()
	text, err := db.Explain(context.Background(), pos[0], *analyze)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, text)
	return err
}
