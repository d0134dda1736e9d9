package parse

import (
	"strings"
	"testing"
)

// errorTests pin the complete rendered error: message, position and caret.
var errorTests = []struct{ in, want string }{
	{`SELECT * FROM t FOR UPDATE`,
		`line 1, column 21: expected SYSTEM_TIME or SYSTEM_VERSION after FOR
SELECT * FROM t FOR UPDATE
                    ^`},
	{`SELECT a, b + FROM t`,
		`line 1, column 15: expected expression, found 'FROM'
SELECT a, b + FROM t
              ^`},
	{`SELECT (1`,
		`line 1, column 10: expected ')', found end of input
SELECT (1
         ^`},
	{`SELECT`,
		`line 1, column 7: expected expression, found end of input
SELECT
      ^`},
	{`SELECT 'abc`,
		`line 1, column 8: unterminated string literal
SELECT 'abc
       ^`},
	{`SELECT "abc`,
		`line 1, column 8: unterminated quoted identifier
SELECT "abc
       ^`},
	{`SELECT ""`,
		`line 1, column 8: zero-length quoted identifier
SELECT ""
       ^`},
	{`SELECT 1 /* never closed`,
		`line 1, column 10: unterminated comment
SELECT 1 /* never closed
         ^`},
	{`SELECT 12abc`,
		`line 1, column 8: invalid number '12abc'
SELECT 12abc
       ^`},
	{`SELECT 1e+`,
		`line 1, column 8: invalid number '1e+': missing exponent digits
SELECT 1e+
       ^`},
	{`SELECT 1.2.3`,
		`line 1, column 8: invalid number '1.2.3'
SELECT 1.2.3
       ^`},
	{`SELECT $`,
		`line 1, column 8: expected parameter number after '$'
SELECT $
       ^`},
	{`SELECT $0`,
		`line 1, column 8: invalid parameter $0: parameters are numbered from $1
SELECT $0
       ^`},
	{`SELECT $1a`,
		`line 1, column 8: invalid parameter '$1a'
SELECT $1a
       ^`},
	{`SELECT $99999999999`,
		`line 1, column 8: parameter number too large: $99999999999
SELECT $99999999999
       ^`},
	{`SELECT a # b`,
		`line 1, column 10: unexpected character '#'
SELECT a # b
         ^`},
	{`SELECT a
FROM t
WHERE`,
		`line 3, column 6: expected expression, found end of input
WHERE
     ^`},
	{`SELECT a
FROM t
WHERE x = 'it''s
fine`,
		`line 3, column 11: unterminated string literal
WHERE x = 'it''s
          ^`},
	{`SELECT a,
	b,
	FROM t`,
		`line 3, column 2: expected expression, found 'FROM'
	FROM t
	^`},
	{`SELECT a
  FROM t
 WHERE a IN (1, 2
 ORDER BY a`,
		`line 4, column 2: expected ',' or ')', found 'ORDER'
 ORDER BY a
 ^`},
	{`CREATE TABLE t (a INT PRIMARY KEY)`,
		`line 1, column 23: expected ',' or ')', found 'PRIMARY'
CREATE TABLE t (a INT PRIMARY KEY)
                      ^`},
	{`CREATE TABLE t (a INT, WATERMARK FOR a AS a, WATERMARK FOR a AS a)`,
		`line 1, column 46: multiple WATERMARK clauses
CREATE TABLE t (a INT, WATERMARK FOR a AS a, WATERMARK FOR a AS a)
                                             ^`},
	{`CREATE TABLE t (a)`,
		`line 1, column 18: expected type name, found ')'
CREATE TABLE t (a)
                 ^`},
	{`CREATE TABLE t (a INT) WITH (k = )`,
		`line 1, column 34: expected option value, found ')'
CREATE TABLE t (a INT) WITH (k = )
                                 ^`},
	{`CREATE INDEX i ON t (a)`,
		`line 1, column 8: expected TABLE or VIEW, found 'INDEX'
CREATE INDEX i ON t (a)
       ^`},
	{`CREATE OR REPLACE TABLE t (a INT)`,
		`line 1, column 19: expected VIEW, found 'TABLE'
CREATE OR REPLACE TABLE t (a INT)
                  ^`},
	{`SELECT * FROM a JOIN b`,
		`line 1, column 23: expected ON or USING, found end of input
SELECT * FROM a JOIN b
                      ^`},
	{`SELECT * FROM a NATURAL CROSS JOIN b`,
		`line 1, column 25: NATURAL cannot be combined with CROSS JOIN
SELECT * FROM a NATURAL CROSS JOIN b
                        ^`},
	{`SELECT * FROM (a JOIN b ON true) AS x`,
		`line 1, column 34: an alias on a parenthesised join is not supported
SELECT * FROM (a JOIN b ON true) AS x
                                 ^`},
	{`SELECT CASE END`,
		`line 1, column 13: expected WHEN, found 'END'
SELECT CASE END
            ^`},
	{`SELECT CASE WHEN a THEN 1`,
		`line 1, column 26: expected END, found end of input
SELECT CASE WHEN a THEN 1
                         ^`},
	{`SELECT CAST(a AS)`,
		`line 1, column 17: expected type name, found ')'
SELECT CAST(a AS)
                ^`},
	{`SELECT x IS y`,
		`line 1, column 13: expected NULL, TRUE, FALSE, UNKNOWN or DISTINCT FROM, found 'y'
SELECT x IS y
            ^`},
	{`SELECT a FROM t LIMIT 1 LIMIT 2`,
		`line 1, column 25: multiple LIMIT clauses not allowed
SELECT a FROM t LIMIT 1 LIMIT 2
                        ^`},
	{`SELECT a FROM t OFFSET 1 OFFSET 2`,
		`line 1, column 26: multiple OFFSET clauses not allowed
SELECT a FROM t OFFSET 1 OFFSET 2
                         ^`},
	{`SELECT a FROM t FETCH FIRST 5 ONLY`,
		`line 1, column 31: expected ROW or ROWS, found 'ONLY'
SELECT a FROM t FETCH FIRST 5 ONLY
                              ^`},
	{`VALUES (1, 2), (3)`,
		`line 1, column 16: VALUES lists must all be the same length
VALUES (1, 2), (3)
               ^`},
	{`SELECT DISTINCT ON (a) a FROM t`,
		`line 1, column 17: DISTINCT ON is not supported
SELECT DISTINCT ON (a) a FROM t
                ^`},
	{`WITH RECURSIVE r AS (SELECT 1) SELECT * FROM r`,
		`line 1, column 6: WITH RECURSIVE is not supported
WITH RECURSIVE r AS (SELECT 1) SELECT * FROM r
     ^`},
	{`SELECT count(*) OVER (ORDER BY a ROWS UNBOUNDED PRECEDING) FROM t`,
		`line 1, column 34: window frame clauses are not supported
SELECT count(*) OVER (ORDER BY a ROWS UNBOUNDED PRECEDING) FROM t
                                 ^`},
	{`SELECT a.b(1)`,
		`line 1, column 8: qualified function names are not supported
SELECT a.b(1)
       ^`},
	{`FOO BAR`,
		`line 1, column 1: expected statement, found 'FOO'
FOO BAR
^`},
	{`SELECT 1 SELECT 2`,
		`line 1, column 10: expected ';' or end of input, found 'SELECT'
SELECT 1 SELECT 2
         ^`},
	{`SELECT a FROM t EMIT SOMETIMES`,
		`line 1, column 22: expected ON WINDOW CLOSE or CHANGES, found 'SOMETIMES'
SELECT a FROM t EMIT SOMETIMES
                     ^`},
	{`SELECT a FROM t ORDER a`,
		`line 1, column 23: expected BY, found 'a'
SELECT a FROM t ORDER a
                      ^`},
	{`SELECT * FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(a, b), INTERVAL '1' SECOND))`,
		`line 1, column 49: DESCRIPTOR with more than one column is not supported
SELECT * FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(a, b), INTERVAL '1' SECOND))
                                                ^`},
	{`SELECT f(a,)`,
		`line 1, column 12: expected expression, found ')'
SELECT f(a,)
           ^`},
	{`SELECT a NOT b`,
		`line 1, column 10: expected ';' or end of input, found 'NOT'
SELECT a NOT b
         ^`},
	{`INSERT t VALUES (1)`,
		`line 1, column 8: expected INTO, found 't'
INSERT t VALUES (1)
       ^`},
	{`DROP INDEX i`,
		`line 1, column 6: expected TABLE or VIEW, found 'INDEX'
DROP INDEX i
     ^`},
	{`SELECT 'a very long string literal that keeps going and going' 'x'`,
		`line 1, column 64: expected ';' or end of input, found string literal 'x'
SELECT 'a very long string literal that keeps going and going' 'x'
                                                               ^`},
	{`SELECT a FROM t WHERE a BETWEEN 1 OR 2`,
		`line 1, column 35: expected AND, found 'OR'
SELECT a FROM t WHERE a BETWEEN 1 OR 2
                                  ^`},
	{`SELECT é FROM t WHERE ü = ?`,
		`line 1, column 27: unexpected character '?'
SELECT é FROM t WHERE ü = ?
                          ^`},
	{`SELECT 1 'a string literal far longer than forty characters in total'`,
		`line 1, column 10: expected ';' or end of input, found string literal 'a string literal far longer than forty ...
SELECT 1 'a string literal far longer than forty characters in total'
         ^`},
}

func TestErrors(t *testing.T) {
	for _, tt := range errorTests {
		_, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want error", tt.in)
			continue
		}
		if got := err.Error(); got != tt.want {
			t.Errorf("Parse(%q) error:\n%s\nwant:\n%s", tt.in, got, tt.want)
		}
	}
}

func TestErrorRendering(t *testing.T) {
	src := "SELECT a,\n\tb\t+ ,\nFROM t"
	e := NewError(src, Pos{Line: 2, Col: 5, Offset: 14}, "bad %s", "thing")
	want := "line 2, column 5: bad thing\n\tb\t+ ,\n\t \t ^"
	if e.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", e.Error(), want)
	}
	// Without source, or with a position past the text, only the header.
	if got := NewError("", Pos{Line: 1, Col: 1}, "x").Error(); got != "line 1, column 1: x" {
		t.Errorf("no source: %q", got)
	}
	if got := NewError("a", Pos{Line: 3, Col: 1}, "x").Error(); got != "line 3, column 1: x" {
		t.Errorf("line out of range: %q", got)
	}
	// A column beyond the end of the line (end of input) still gets a caret,
	// and CRLF line ends are not echoed.
	if got := NewError("ab\r\ncd", Pos{Line: 1, Col: 3}, "x").Error(); got != "line 1, column 3: x\nab\n  ^" {
		t.Errorf("CRLF: %q", got)
	}
	// Columns count runes, not bytes.
	_, err := Parse("SELECT 'é', ü FROM")
	if err == nil || !strings.HasPrefix(err.Error(), "line 1, column 19: ") ||
		!strings.HasSuffix(err.Error(), "\n                  ^") {
		t.Errorf("rune columns: %v", err)
	}
	pe := err.(*Error)
	if pe.Pos.Offset != 20 {
		t.Errorf("offset = %d, want 20 (bytes)", pe.Pos.Offset)
	}
}

func TestDeepNesting(t *testing.T) {
	const deep = 100000
	inputs := []string{
		"SELECT " + strings.Repeat("(", deep) + "1" + strings.Repeat(")", deep),
		"SELECT " + strings.Repeat("- ", deep) + "1",
		"SELECT " + strings.Repeat("NOT ", deep) + "true",
		"SELECT * FROM " + strings.Repeat("(", deep) + "t" + strings.Repeat(")", deep),
		strings.Repeat("(", deep) + "SELECT 1" + strings.Repeat(")", deep),
		strings.Repeat("EXPLAIN ", deep) + "SELECT 1",
		"SELECT " + strings.Repeat("(SELECT ", deep) + "1" + strings.Repeat(")", deep),
		"SELECT " + strings.Repeat("f(", deep) + "1" + strings.Repeat(")", deep),
		"SELECT " + strings.Repeat("CASE WHEN ", deep),
		"SELECT " + strings.Repeat("j -> (", deep),
	}
	for _, in := range inputs {
		_, err := Parse(in)
		if e, ok := err.(*Error); !ok || e.Msg != "expression nested too deeply" {
			t.Errorf("Parse(%.30q…) = %.200v, want nesting error", in, err)
		}
	}
	// Reasonable nesting is fine.
	in := "SELECT " + strings.Repeat("(", 200) + "1" + strings.Repeat(")", 200)
	if _, err := Parse(in); err != nil {
		t.Errorf("200 parentheses: %v", err)
	}
	// Long flat chains are not nesting.
	in = "SELECT 1" + strings.Repeat(" + 1", 5000) + " FROM t WHERE a" + strings.Repeat(" OR a", 5000)
	if _, err := Parse(in); err != nil {
		t.Errorf("long chain: %v", err)
	}
}
