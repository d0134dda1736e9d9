package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/chzyer/readline"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/render"
)

const replHelp = `Statements end with ';' and may span lines.
  \d            list tables and views
  \d NAME       describe a table
  \timing       toggle timing of statements
  \format NAME  output format: table, csv, json, jsonl
  \q            quit
Ctrl-C cancels the running statement; Ctrl-D quits.
`

// lineReader reads the REPL's input: readline on a terminal (editing and
// history), plain lines otherwise (pipes, tests).
type lineReader interface {
	ReadLine(prompt string) (string, error) // io.EOF at end; errInterrupt on Ctrl-C
	Close() error
}

var errInterrupt = errors.New("interrupt")

type rlReader struct{ rl *readline.Instance }

func (r *rlReader) ReadLine(prompt string) (string, error) {
	r.rl.SetPrompt(prompt)
	line, err := r.rl.Readline()
	if errors.Is(err, readline.ErrInterrupt) {
		return "", errInterrupt
	}
	return line, err
}
func (r *rlReader) Close() error { return r.rl.Close() }

type plainReader struct {
	sc  *bufio.Scanner
	out io.Writer
}

func (p *plainReader) ReadLine(string) (string, error) {
	if !p.sc.Scan() {
		if err := p.sc.Err(); err != nil {
			return "", err
		}
		return "", io.EOF
	}
	return p.sc.Text(), nil
}
func (p *plainReader) Close() error { return nil }

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newLineReader(stdin io.Reader, stdout, stderr io.Writer) (lineReader, error) {
	if !isTerminal(stdin) {
		return &plainReader{sc: bufio.NewScanner(stdin), out: stdout}, nil
	}
	history := ""
	if home, err := os.UserHomeDir(); err == nil {
		history = filepath.Join(home, ".streamsql_history")
	}
	rl, err := readline.NewEx(&readline.Config{Prompt: "streamsql> ", HistoryFile: history,
		InterruptPrompt: "^C", EOFPrompt: `\q`, Stdout: stdout, Stderr: stderr})
	if err != nil {
		return nil, fmt.Errorf("starting line editor: %w", err)
	}
	return &rlReader{rl: rl}, nil
}

type replState struct {
	db     *streamsql.Engine
	out    io.Writer
	errOut io.Writer
	format string
	timing bool
	server string // run statements on this `streamsql serve` (remoteQuery)
	token  string
}

func repl(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("repl")
	var c commonFlags
	c.register(fs)
	server := fs.String("server", "", "run the statements on a running `streamsql serve` at this URL instead of locally")
	token := fs.String("token", "", "bearer token for --server (default $"+serveTokenEnv+")")
	if pos, err := parseInterleaved(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("repl takes no arguments besides flags")
	}
	if *server != "" && (len(c.tables) > 0 || c.warehouse != "" || c.catalog != "") {
		return usagef("--server runs the statements on the server: --table, --warehouse and --catalog do not apply")
	}
	db, err := c.engine()
	if err != nil {
		return err
	}
	defer c.close()
	lr, err := newLineReader(stdin, stdout, stderr)
	if err != nil {
		return err
	}
	defer lr.Close()
	st := &replState{db: db, out: stdout, errOut: stderr, format: "table", server: *server, token: *token}
	if isTerminal(stdin) {
		fmt.Fprintln(stdout, `streamsql — type \? for help, \q to quit.`)
	}
	var buf strings.Builder
	for {
		prompt := "streamsql> "
		if buf.Len() > 0 {
			prompt = "        -> "
		}
		line, err := lr.ReadLine(prompt)
		switch {
		case errors.Is(err, errInterrupt):
			buf.Reset()
			continue
		case errors.Is(err, io.EOF):
			if strings.TrimSpace(buf.String()) != "" {
				st.statement(buf.String())
			}
			return nil
		case err != nil:
			return err
		}
		trimmed := strings.TrimSpace(line)
		if buf.Len() == 0 && strings.HasPrefix(trimmed, `\`) {
			if quit := st.command(trimmed); quit {
				return nil
			}
			continue
		}
		buf.WriteString(line)
		buf.WriteString("\n")
		if strings.HasSuffix(trimmed, ";") {
			st.statement(buf.String())
			buf.Reset()
		}
	}
}

// statement runs one statement; Ctrl-C cancels it and keeps the REPL.
func (s *replState) statement(sql string) {
	sql = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(sql), ";"))
	if sql == "" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	w, _ := render.New(s.format, s.out) // s.format is validated by \format
	start := time.Now()
	var err error
	if s.server != "" {
		err = remoteQuery(ctx, s.server, s.token, sql, nil, w)
	} else {
		err = stream(ctx, s.db, sql, nil, w, s.out)
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(s.errOut, "cancelled")
	} else if err != nil {
		fmt.Fprintf(s.errOut, "ERROR: %v\n", err)
	}
	if s.timing {
		fmt.Fprintf(s.out, "Time: %.3f ms\n", float64(time.Since(start).Microseconds())/1000)
	}
}

// command runs a backslash command; it reports whether to quit.
func (s *replState) command(line string) bool {
	f := strings.Fields(line)
	switch f[0] {
	case `\q`, `\quit`:
		return true
	case `\?`, `\h`, `\help`:
		fmt.Fprint(s.out, replHelp)
	case `\timing`:
		s.timing = !s.timing
		fmt.Fprintf(s.out, "Timing is %s.\n", map[bool]string{true: "on", false: "off"}[s.timing])
	case `\format`:
		if len(f) != 2 {
			fmt.Fprintf(s.out, "Output format is %s.\n", s.format)
			break
		}
		if _, err := render.New(f[1], io.Discard); err != nil {
			fmt.Fprintf(s.errOut, "ERROR: %v\n", err)
			break
		}
		s.format = f[1]
		fmt.Fprintf(s.out, "Output format is %s.\n", s.format)
	case `\d`:
		if s.server != "" {
			fmt.Fprintln(s.errOut, `ERROR: \d lists local tables; against a server every topic is a table (SELECT … FROM topic)`)
			break
		}
		if len(f) == 1 {
			for _, n := range s.db.Catalog().Names() {
				fmt.Fprintln(s.out, n)
			}
			break
		}
		s.describe(f[1])
	default:
		fmt.Fprintf(s.errOut, "ERROR: unknown command %s (\\? for help)\n", f[0])
	}
	return false
}

func (s *replState) describe(name string) {
	t, v, err := s.db.Catalog().Lookup(strings.Split(name, "."))
	if err != nil {
		fmt.Fprintf(s.errOut, "ERROR: %v\n", err)
		return
	}
	if v != nil {
		fmt.Fprintf(s.out, "View %s:\n  %s\n", name, v.SQL)
		return
	}
	kind := "table"
	if d, ok := t.(catalog.Describer); ok {
		kind = d.Describe()
	}
	fmt.Fprintf(s.out, "Table %s (%s)\n", name, kind)
	for _, fld := range t.Schema().Fields() {
		ty, err := types.FromField(fld)
		tn := ty.String()
		if err != nil {
			tn = fld.Type.String()
		}
		fmt.Fprintf(s.out, "  %-20s %s\n", fld.Name, tn)
	}
}
