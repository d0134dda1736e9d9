// Package parse is the hand-written recursive-descent parser of the
// streamsql dialect: Postgres/DataFusion-flavoured SQL plus streaming
// extensions (window table functions, WATERMARK, EMIT). It produces the AST
// in ast.go and prints it back with Format.
//
// # Positions
//
// Positions are relative to the text passed to Parse, ParseOne or
// ParseExpr (for several statements, to the whole input). Most nodes sit
// at their first token. Operator nodes sit at the operator instead,
// because that is where a binder type error is best pointed:
//
//   - Binary, Between, Like, InList, InSubquery, Is: the operator token or
//     keyword; for NOT BETWEEN / NOT IN / NOT LIKE the NOT.
//   - Cast: the CAST keyword, or the `::` of `x::T`.
//   - Exists: EXISTS, or the NOT of NOT EXISTS.
//   - Join: its first join keyword (NATURAL, LEFT, JOIN, …).
//   - FuncCall: the function name; Ident: its first part.
//   - Subquery, ScalarSubquery, ParenQuery: the opening parenthesis.
//   - TableFunc written as TABLE(…): the TABLE keyword.
//   - WindowSpec: the OVER keyword.
//
// # Normalisation
//
// The tree records meaning, not spelling, so later phases see one form:
//
//   - Unquoted identifiers are folded to lower case, including function,
//     table-function and option names; double-quoted ones are kept as
//     written (so `"MyFunc"(x)` keeps its case).
//   - `!=` becomes `<>`; `x::T` becomes Cast; NOT EXISTS becomes
//     Exists{Not: true}; parentheses in expressions leave no node.
//   - CURRENT_TIMESTAMP and NOW() become FuncCall "now"; CURRENT_DATE
//     becomes FuncCall "current_date".
//   - SUBSTRING(x FROM a FOR b) and substring(…) become FuncCall "substr"
//     with positional arguments (a missing FROM is 1); POSITION(a IN b)
//     becomes FuncCall "strpos" with arguments (b, a).
//   - Interval units are upper case and singular (MINUTES → MINUTE);
//     the MySQL form INTERVAL 5 MINUTE is accepted with Value "5".
//   - Type names are upper case with single spaces (DOUBLE PRECISION,
//     TIMESTAMP WITH TIME ZONE); length/precision modifiers such as
//     VARCHAR(20) are accepted and dropped, matching types.Parse.
//   - FETCH FIRST n ROWS ONLY becomes Limit; LIMIT ALL leaves Limit nil.
//   - Flink's TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), size)) becomes
//     TableFunc{Name: "tumble", Args: [t, ts, size]}, as TUMBLE(t, ts, size).
//   - A query consisting only of a parenthesised query is that query:
//     `((SELECT 1))` parses like `SELECT 1`. Parenthesised operands of set
//     operations stay ParenQuery.
//   - Option values keep only their text: strings unquoted, numbers as
//     written (with a leading '-'), TRUE/FALSE and identifiers lower-cased.
//
// # Reserved words
//
// Only words that could otherwise make a clause ambiguous are reserved
// (see keywords.go); window, timestamp, date, key, value, first, over,
// filter and the like remain ordinary names. Reserved words are accepted
// after AS, after a dot and when double-quoted.
//
// # Not supported
//
// WITH RECURSIVE, DISTINCT ON, window frames (ROWS/RANGE/GROUPS), named
// windows (OVER w, WINDOW clause), aggregate ORDER BY inside a call,
// qualified function names, aliases on parenthesised joins, table-alias
// column lists on plain tables and table functions, LATERAL, SIMILAR TO,
// E'…' strings, arrays, and column constraints other than NULL/NOT NULL.
package parse
