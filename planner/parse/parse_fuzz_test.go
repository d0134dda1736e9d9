package parse

import (
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that no input panics the parser, that errors carry a
// sane position, and that whatever parses survives Format → Parse → Format
// unchanged (same text, same tree).
func FuzzParse(f *testing.F) {
	for _, tt := range roundTripTests {
		f.Add(tt.in)
	}
	for _, tt := range exprTests {
		f.Add(tt.in)
	}
	for _, tt := range errorTests {
		f.Add(tt.in)
	}
	for _, s := range repoSQL(f) {
		f.Add(s)
	}
	// Structured seeds give the mutator deep, valid statements to work on.
	g := &sqlGen{r: rand.New(rand.NewPCG(42, 2))}
	for range 200 {
		f.Add(g.statement())
	}
	recoverInternal = false
	f.Fuzz(func(t *testing.T, sql string) {
		stmts, err := Parse(sql)
		checkErr(t, sql, err)
		if err == nil {
			if _, err := checkRoundTrip(sql, stmts); err != nil {
				t.Fatal(err)
			}
		}
		e, err := ParseExpr(sql)
		checkErr(t, sql, err)
		if err == nil {
			out := Format(e)
			e2, err := ParseExpr(out)
			if err != nil {
				t.Fatalf("reparse of expression %q (from %q): %v", out, sql, err)
			}
			if out2 := Format(e2); out2 != out {
				t.Fatalf("unstable expression format for %q:\n first: %s\nsecond: %s", sql, out, out2)
			}
			if !sameTree(e, e2) {
				t.Fatalf("expression tree changed after round trip of %q via %q", sql, out)
			}
		}
	})
}

func checkErr(t *testing.T, sql string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	pe, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %T is not *Error", err)
	}
	if pe.Pos.Line < 1 || pe.Pos.Col < 1 || pe.Pos.Offset < 0 || pe.Pos.Offset > len(sql) {
		t.Fatalf("bad error position %+v for %q", pe.Pos, sql)
	}
	if lines := strings.Count(sql, "\n") + 1; pe.Pos.Line > lines {
		t.Fatalf("error line %d beyond the %d lines of %q", pe.Pos.Line, lines, sql)
	}
	_ = pe.Error()
}

// repoSQL collects the project's SQL test files (../../testdata) as seeds:
// each whole file and each blank-line-separated block of it, since the
// sqllogictest format interleaves statements with directives.
func repoSQL(tb testing.TB) []string {
	var seeds []string
	root := filepath.Join("..", "..", "testdata")
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if ext := filepath.Ext(path); ext != ".test" && ext != ".sql" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			tb.Logf("reading seed %s: %v", path, err)
			return nil
		}
		seeds = append(seeds, string(b))
		for _, block := range strings.Split(string(b), "\n\n") {
			if block = strings.TrimSpace(block); block != "" {
				seeds = append(seeds, block)
			}
		}
		return nil
	})
	return seeds
}
