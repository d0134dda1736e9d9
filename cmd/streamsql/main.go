// Command streamsql is the command line of the streamsql engine:
//
//	streamsql serve [--addr 127.0.0.1:8787] [--state-dir DIR] [--warehouse DIR] [--hot-retention 5m] …
//	streamsql query [--table NAME=PATH]… [--format table|csv|json|jsonl] [--param VALUE]… "SQL"
//	streamsql explain [--table NAME=PATH]… "SQL"
//	streamsql                      (no arguments) the interactive REPL
//	streamsql run FILE.sql --input URI --output URI [--event-time COL] [--watermark-delay DUR] [--state-dir DIR] …
//	streamsql bench batch [--rows N]
//	streamsql bench stream [--events N] …
//	streamsql bench nexmark [--query qN|all] [--events N] [--cores N] [--format table|jsonl]
//
// Exit status: 0 on success, 1 when a query fails (message on stderr), 2
// on bad usage.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// usageError marks mistakes in the command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

const usage = `usage:
  streamsql serve [--addr 127.0.0.1:8787] [--state-dir DIR] [--hot-retention 5m] [--hot-max-bytes N]
                  [--topic-schema 'T=col TYPE, …']... [--event-time-field T=FIELD]... [--token T] [--tokens-file FILE]
                  [--allow-origin HOST]... [--warehouse DIR] [--cold=false] [--pipelines URI] [--wrangler FILE]
                  [--batch-max-bytes N] [--batch-max-seconds N]
  streamsql query [--table NAME=PATH]... [--warehouse DIR | --catalog URI] [--format table|csv|json|jsonl] [--param VALUE]... [--on-error fail|skip] "SQL"
  streamsql query --server URL [--token T] [--format table|csv|json|jsonl] [--param VALUE]... "SQL"
  streamsql explain [--table NAME=PATH]... [--warehouse DIR | --catalog URI] "SQL"
  streamsql repl [--table NAME=PATH]... [--warehouse DIR | --catalog URI]    (also: streamsql with no arguments)
  streamsql repl --server URL [--token T]
  streamsql run FILE.sql --input URI --output URI [--event-time COL] [--watermark-delay DUR] [--state-dir DIR]
                [--dead-letter URI] [--checkpoint-interval DUR] [--max-state-bytes N] [--allowed-lateness DUR]
                [--dedup-ttl DUR] [--idle-timeout DUR] [--parallelism N] [--table NAME=PATH]... [--follow] [--metrics] [--metrics-every DUR] [--explain]
                [--until-idle DUR] [--warehouse DIR | --catalog URI]
  streamsql catalog serve [--warehouse DIR] [--addr 127.0.0.1:8181] [--token T] [--prefix P]
  streamsql iceberg compact NS.TABLE [--warehouse DIR | --catalog URI] [--target-size 128MB] [--partition COL=VALUE]
  streamsql iceberg expire-snapshots NS.TABLE [--warehouse DIR | --catalog URI] [--older-than 168h] [--retain-last 1]
  streamsql iceberg remove-orphans NS.TABLE [--warehouse DIR | --catalog URI] [--older-than 72h] [--dry-run] [--force]
  streamsql bench batch [--rows N] [--runs N]
  streamsql bench cold [--events N] [--runs R] [--cpuprofile FILE]
  streamsql bench serve [--rate N] [--duration DUR] [--subscribers 1,100,1000] [--live N] [--cold-events N] [--hot-events N] [--cpuprofile FILE] [--memprofile FILE]
  streamsql bench stream [--events N] [--keys K] [--runs R] [--parallelism P] [--splits S] [--groups G]
                         [--query seed,hop] [--source arrow,jsonl] [--cpuprofile DIR]
  streamsql bench nexmark [--query qN|all] [--events N] [--cores N] [--format table|jsonl]
                          [--runs R] [--splits S] [--mode generator|pregenerated|both] [--queries DIR]
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process: tests call it directly.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var err error
	switch {
	case len(args) == 0:
		err = repl(nil, stdin, stdout, stderr)
	case args[0] == "query":
		err = queryCmd(args[1:], stdout)
	case args[0] == "explain":
		err = explainCmd(args[1:], stdout)
	case args[0] == "repl":
		err = repl(args[1:], stdin, stdout, stderr)
	case args[0] == "run":
		err = runCmd(args[1:], stdin, stdout, stderr)
	case args[0] == "bench":
		err = benchCmd(args[1:], stdout)
	case args[0] == "serve":
		err = serveCmd(args[1:], stdout, stderr)
	case args[0] == "catalog":
		err = catalogCmd(args[1:], stdout)
	case args[0] == "iceberg":
		err = icebergCmd(args[1:], stdout)
	case args[0] == "help" || args[0] == "-h" || args[0] == "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = usagef("unknown command %q", args[0])
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "streamsql: %v\n%s", err, usage)
		return 2
	default:
		fmt.Fprintf(stderr, "streamsql: %v\n", err)
		return 1
	}
}
