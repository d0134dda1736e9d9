package bind

import (
	"errors"
	"testing"

	"github.com/streamsql/streamsql/planner/parse"
)

// TestErrors checks the message and position of bind errors.
func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		sql      string
		msg      string
		line, co int
	}{
		// names
		{"SELECT amout FROM events", `column "amout" does not exist (did you mean "amount"?)`, 1, 8},
		{"SELECT id FROM events, users", `column reference "id" is ambiguous`, 1, 8},
		{"SELECT * FROM evnts", `table "evnts" does not exist (did you mean "events"?)`, 1, 15},
		{"SELECT * FROM nothing_like_it", `table "nothing_like_it" does not exist`, 1, 15},
		{"SELECT e.amout FROM events e", `column "e.amout" does not exist (did you mean "e.amount"?)`, 1, 8},
		{"SELECT x.id FROM events", `missing FROM-clause entry for table "x"`, 1, 8},
		{"SELECT e.* FROM events", `missing FROM-clause entry for table "e"`, 1, 8},
		{"SELECT events.id FROM events e", `missing FROM-clause entry for table "events"`, 1, 8},
		{"SELECT * FROM events e JOIN users u ON e.id = u.nam", `column "u.nam" does not exist (did you mean "u.name"?)`, 1, 47},
		{"SELECT * FROM events, events", `table name "events" specified more than once`, 1, 23},
		{"SELECT *", `SELECT * with no tables specified is not valid`, 1, 8},
		{"SELECT * FROM events JOIN users USING (nope)", `column "nope" specified in USING clause does not exist in left table`, 1, 22},
		{"SELECT * FROM (SELECT 1, 2) AS s(a, b, c)", `table "s" has 2 columns available but 3 columns specified`, 1, 15},
		{"WITH a AS (SELECT 1), a AS (SELECT 2) SELECT * FROM a", `WITH query name "a" specified more than once`, 1, 23},
		{"WITH a AS (SELECT nope) SELECT 1", `column "nope" does not exist`, 1, 19},
		{"SELECT * FROM broken", `view "broken": column "nope" does not exist (did you mean "name"?) (line 1, column 8 of its definition)`, 1, 15},
		{"SELECT * FROM loop", `view "loop" refers to itself`, 1, 15},
		{"SELECT kind AS k, amount AS k FROM events ORDER BY k", `ORDER BY "k" is ambiguous`, 1, 52},
		// subqueries
		{"SELECT id FROM events e WHERE amount > (SELECT max(id) FROM users u WHERE u.id = e.user_id)", `correlated subqueries are not supported`, 1, 82},
		{"SELECT id FROM events WHERE EXISTS (SELECT 1 FROM users WHERE users.id = user_id)", `correlated subqueries are not supported`, 1, 74},
		{"SELECT id, id IN (SELECT id FROM users) FROM events", `IN (subquery) is only supported as a WHERE condition`, 1, 15},
		{"SELECT * FROM events WHERE EXISTS (SELECT 1) OR id = 1", `EXISTS (subquery) is only supported as a WHERE condition`, 1, 28},
		{"SELECT (SELECT id, name FROM users) FROM events", `subquery must return only one column`, 1, 8},
		{"SELECT id FROM events WHERE id IN (SELECT id, name FROM users)", `subquery has too many columns`, 1, 36},
		// aggregates
		{"SELECT id FROM events WHERE count(*) > 1", `aggregate functions are not allowed in WHERE`, 1, 29},
		{"SELECT * FROM events e JOIN users u ON count(*) > 1", `aggregate functions are not allowed in JOIN conditions`, 1, 40},
		{"SELECT sum(count(*)) FROM events", `aggregate function calls cannot be nested`, 1, 12},
		{"SELECT kind, amount FROM events GROUP BY kind", `column "amount" must appear in the GROUP BY clause or be used in an aggregate function`, 1, 14},
		{"SELECT kind FROM events GROUP BY kind ORDER BY e.ts", `missing FROM-clause entry for table "e"`, 1, 48},
		{"SELECT kind FROM events GROUP BY kind ORDER BY ts", `column "ts" must appear in the GROUP BY clause or be used in an aggregate function`, 1, 48},
		{"SELECT count(*) FROM events HAVING kind = 'a'", `column "kind" must appear in the GROUP BY clause or be used in an aggregate function`, 1, 36},
		{"SELECT * FROM events GROUP BY id", `column "user_id" must appear in the GROUP BY clause or be used in an aggregate function`, 1, 8},
		{"SELECT kind FROM events GROUP BY 3", `GROUP BY position 3 is not in select list`, 1, 34},
		{"SELECT count(*) AS c FROM events GROUP BY c", `aggregate functions are not allowed in GROUP BY`, 1, 43},
		{"SELECT count(*) FROM events GROUP BY count(*)", `aggregate functions are not allowed in GROUP BY`, 1, 38},
		{"SELECT sum(*) FROM events", `sum(*) is not valid: * is only allowed in COUNT(*)`, 1, 8},
		{"SELECT lower(DISTINCT kind) FROM events", `DISTINCT specified, but lower is not an aggregate function`, 1, 8},
		{"SELECT count(*) FILTER (WHERE sum(qty) > 1) FROM events", `aggregate functions are not allowed in FILTER`, 1, 31},
		// types and expressions
		{"SELECT kind + id FROM events", `operator does not exist: VARCHAR + BIGINT`, 1, 13},
		{"SELECT 1 + 'a'", `operator does not exist: INTEGER + VARCHAR`, 1, 10},
		{"SELECT -kind FROM events", `operator does not exist: - VARCHAR`, 1, 8},
		{"SELECT NOT id FROM events", `argument of NOT must be type BOOLEAN, not type BIGINT`, 1, 12},
		{"SELECT * FROM events WHERE amount", `argument of WHERE must be type BOOLEAN, not type DOUBLE`, 1, 28},
		{"SELECT id IS TRUE FROM events", `argument of IS TRUE must be type BOOLEAN, not type BIGINT`, 1, 11},
		{"SELECT * FROM events WHERE ts > 'nope'", `invalid input syntax for type timestamp: "nope"`, 1, 33},
		{"SELECT id FROM events WHERE ts BETWEEN '2024-01-01' AND 'x'", `invalid input syntax for type timestamp: "x"`, 1, 57},
		{"SELECT qty FROM events WHERE qty = 'abc'", `invalid input syntax for type integer: "abc"`, 1, 36},
		{"SELECT id FROM events WHERE qty IN ('1', 'b')", `invalid input syntax for type integer: "b"`, 1, 42},
		{"SELECT signup = 'soon' FROM users", `invalid input syntax for type date: "soon"`, 1, 17},
		{"SELECT active = 'maybe' FROM users", `invalid input syntax for type boolean: "maybe"`, 1, 17},
		{"SELECT id FROM events WHERE kind IN ('a', 1)", `operator does not exist: VARCHAR = INTEGER`, 1, 43},
		{"SELECT TIMESTAMP 'bad'", `invalid input syntax for type timestamp: "bad"`, 1, 8},
		{"SELECT INTERVAL 'bad'", `invalid input syntax for type interval: "bad"`, 1, 8},
		{"SELECT CAST(id AS blob) FROM events", `type "blob" does not exist`, 1, 8},
		{"SELECT CAST(signup AS BOOLEAN) FROM users", `cannot cast type DATE to BOOLEAN`, 1, 8},
		{"SELECT CASE WHEN true THEN id ELSE kind END FROM events", `CASE types BIGINT and VARCHAR cannot be matched`, 1, 36},
		{"SELECT CASE WHEN true THEN 1 ELSE 'x' END", `invalid input syntax for type integer: "x"`, 1, 35},
		{"SELECT lenght(kind) FROM events", `function lenght does not exist (did you mean "length"?)`, 1, 8},
		{"SELECT lower(id) FROM events", `function lower(BIGINT) does not exist: lower takes (VARCHAR)`, 1, 8},
		{"SELECT $2", `no value for parameter $2`, 1, 8},
		// ORDER BY / LIMIT
		{"SELECT kind FROM events ORDER BY 2", `ORDER BY position 2 is not in select list`, 1, 34},
		{"SELECT DISTINCT kind FROM events ORDER BY amount", `for SELECT DISTINCT, ORDER BY expressions must appear in select list`, 1, 43},
		{"SELECT id FROM events LIMIT -1", `LIMIT must not be negative`, 1, 29},
		{"SELECT id FROM events OFFSET -5", `OFFSET must not be negative`, 1, 30},
		{"SELECT id FROM events LIMIT 'x'", `invalid input syntax for type bigint: "x"`, 1, 29},
		{"SELECT id FROM events LIMIT id", `argument of LIMIT must not contain variables`, 1, 29},
		{"SELECT id FROM events LIMIT random()", `function random does not exist`, 1, 29},
		{"SELECT id FROM events LIMIT length('abc')", `argument of LIMIT must be a constant integer expression`, 1, 29},
		// set operations
		{"SELECT id FROM events UNION SELECT id, name FROM users", `each UNION query must have the same number of columns`, 1, 29},
		{"SELECT id FROM events EXCEPT SELECT id, name FROM users", `each EXCEPT query must have the same number of columns`, 1, 30},
		{"SELECT kind FROM events UNION SELECT signup FROM users", `UNION types VARCHAR and DATE cannot be matched`, 1, 31},
		{"SELECT id FROM events INTERSECT ALL SELECT id FROM users", `INTERSECT ALL is not supported (use INTERSECT)`, 1, 23},
		{"SELECT id FROM events EXCEPT ALL SELECT id FROM users", `EXCEPT ALL is not supported (use EXCEPT)`, 1, 23},
		{"SELECT id FROM events UNION SELECT id FROM users ORDER BY amount", `column "amount" does not exist`, 1, 59},
		{"VALUES (1), ('x')", `invalid input syntax for type integer: "x"`, 1, 14},
		{"VALUES (1), (DATE '2024-01-01')", `VALUES types INTEGER and DATE cannot be matched`, 1, 14},
		// streaming and unsupported forms
		{"SELECT * FROM HOP(events, ts, INTERVAL '1' MINUTE, INTERVAL '5' MINUTE)", `window function HOP requires a streaming query (streamsql run)`, 1, 15},
		{"SELECT * FROM SESSION(events, ts, INTERVAL '1' MINUTE)", `window function SESSION requires a streaming query (streamsql run)`, 1, 15},
		{"SELECT count(*) FROM events GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)", `window function TUMBLE requires a streaming query (streamsql run)`, 1, 38},
		{"SELECT count(*) FROM events GROUP BY HOP(ts, INTERVAL '1' MINUTE, INTERVAL '1' HOUR)", `window function HOP requires a streaming query (streamsql run)`, 1, 38},
		{"SELECT count(*) FROM events EMIT CHANGES", `EMIT CHANGES requires a streaming query (streamsql run)`, 1, 29},
		{"SELECT * FROM TUMBLE(events, kind, INTERVAL '1' MINUTE)", `TUMBLE time column must be TIMESTAMP, not VARCHAR`, 1, 30},
		{"SELECT * FROM TUMBLE(events, ts, 5)", `TUMBLE size must be an INTERVAL, not INTEGER`, 1, 34},
		{"SELECT * FROM generate_series(1, 3)", `table function "generate_series" does not exist`, 1, 15},
		{"SELECT rank() OVER (ORDER BY id) FROM events", `window function RANK is not supported (only ROW_NUMBER() OVER (…))`, 1, 8},
		{"SELECT id FROM events WHERE row_number() OVER (ORDER BY id) = 1", `window functions are not allowed in WHERE`, 1, 29},
		// statements
		{"INSERT INTO events (nope) VALUES (1)", `column "nope" of table "events" does not exist`, 1, 1},
		{"INSERT INTO big_events VALUES (1, 2)", `cannot insert into view "big_events"`, 1, 1},
		{"INSERT INTO users (id, name) VALUES (1)", `INSERT has more target columns than expressions`, 1, 30},
		{"INSERT INTO users (id) VALUES (1, 'x')", `INSERT has more expressions than target columns`, 1, 24},
		{"INSERT INTO users VALUES (1, 'x', 'someday')", `invalid input syntax for type date: "someday"`, 1, 35},
		{"INSERT INTO userz VALUES (1)", `table "userz" does not exist (did you mean "users"?)`, 1, 1},
		{"CREATE TABLE t (a INT, a INT)", `column "a" specified more than once`, 1, 24},
		{"CREATE TABLE t (a blob)", `type "blob" does not exist`, 1, 17},
		{"CREATE TABLE t (a INT, WATERMARK FOR a AS a)", `watermark column "a" must be TIMESTAMP, not INTEGER`, 1, 24},
		{"CREATE TABLE t (ts TIMESTAMP, WATERMARK FOR tss AS ts)", `column "tss" does not exist (did you mean "ts"?)`, 1, 31},
		{"CREATE TABLE t (ts TIMESTAMP, WATERMARK FOR ts AS 1)", `watermark expression must be of type TIMESTAMP, not INTEGER`, 1, 51},
		{"CREATE TABLE t (ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (a = '1', A = '2')", `option "a" specified more than once`, 1, 92},
		{"CREATE VIEW v (a, b) AS SELECT 1", `CREATE VIEW specifies more column names than columns`, 1, 1},
	} {
		t.Run(tc.sql, func(t *testing.T) {
			_, err := bindSQL(t, tc.sql)
			if err == nil {
				t.Fatalf("no error, want %q", tc.msg)
			}
			var pe *parse.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *parse.Error: %v", err, err)
			}
			if pe.Msg != tc.msg {
				t.Errorf("message:\n got %s\nwant %s", pe.Msg, tc.msg)
			}
			if pe.Pos.Line != tc.line || pe.Pos.Col != tc.co {
				t.Errorf("position: got %d:%d, want %d:%d", pe.Pos.Line, pe.Pos.Col, tc.line, tc.co)
			}
		})
	}
}

// TestErrorRendering checks whole messages, caret included.
func TestErrorRendering(t *testing.T) {
	for _, tc := range []struct{ sql, want string }{
		{"SELECT id,\n       amout\nFROM events",
			"line 2, column 8: column \"amout\" does not exist (did you mean \"amount\"?)\n" +
				"       amout\n" +
				"       ^"},
		{"SELECT kind, count(*)\nFROM events\nWHERE sum(qty) > 3\nGROUP BY kind",
			"line 3, column 7: aggregate functions are not allowed in WHERE\n" +
				"WHERE sum(qty) > 3\n" +
				"      ^"},
		{"SELECT *\n  FROM evnts",
			"line 2, column 8: table \"evnts\" does not exist (did you mean \"events\"?)\n" +
				"  FROM evnts\n" +
				"       ^"},
		{"SELECT * FROM events\nWHERE ts >= 'yesterday'",
			"line 2, column 13: invalid input syntax for type timestamp: \"yesterday\"\n" +
				"WHERE ts >= 'yesterday'\n" +
				"            ^"},
	} {
		_, err := bindSQL(t, tc.sql)
		if err == nil {
			t.Errorf("%q: no error", tc.sql)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("%q:\n got:\n%s\nwant:\n%s", tc.sql, err, tc.want)
		}
	}
}
