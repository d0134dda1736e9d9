package sqltest

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/streamsql/streamsql"
)

// streamArgs are the options of a stream directive.
type streamArgs struct {
	opts    streamsql.JobOptions
	isError bool
	want    string // the error text expected, with isError
	input   string // the table bound to __input__, if any
	explain bool   // plan only: the block is the operator tree
	noDead  bool   // dead_letter=off: late rows are only counted
}

// parseStreamArgs reads `stream [key=value …] [error [text]]`.
func parseStreamArgs(args []string) (streamArgs, error) {
	a := streamArgs{opts: streamsql.JobOptions{CheckpointInterval: -1, Linger: -1}}
	for i, arg := range args {
		if arg == "explain" {
			a.explain = true
			continue
		}
		if arg == "error" {
			a.isError, a.want = true, strings.Join(args[i+1:], " ")
			break
		}
		k, v, ok := strings.Cut(arg, "=")
		if !ok {
			return a, fmt.Errorf("stream: bad option %q (want key=value or error)", arg)
		}
		var err error
		switch k {
		case "lateness":
			a.opts.AllowedLateness, err = time.ParseDuration(v)
		case "dedup_ttl":
			a.opts.DedupTTL, err = time.ParseDuration(v)
		case "checkpoint_interval":
			a.opts.CheckpointInterval, err = time.ParseDuration(v)
		case "parallelism":
			a.opts.Parallelism, err = strconv.Atoi(v)
		case "batch_rows":
			a.opts.BatchRows, err = strconv.Atoi(v)
		case "max_state_bytes":
			a.opts.MaxStateBytes, err = strconv.ParseInt(v, 10, 64)
		case "input":
			a.input = v
		case "dead_letter":
			a.noDead = true
			if v != "off" {
				err = fmt.Errorf("want off")
			}
		default:
			return a, fmt.Errorf("stream: unknown option %q", k)
		}
		if err != nil {
			return a, fmt.Errorf("stream: option %s: %v", arg, err)
		}
	}
	return a, nil
}

// errorLines checks err against an expected substring, or returns its
// lines for the expected block when none was given.
func errorLines(err error, want string) ([]string, error) {
	if want != "" {
		if !strings.Contains(err.Error(), want) {
			return nil, fmt.Errorf("want error containing %q, got: %v", want, err)
		}
		return nil, nil
	}
	return strings.Split(err.Error(), "\n"), nil
}
