package parse

// reserved words cannot be bare column names, table names or implicit
// aliases: each can follow an expression or a table reference, so treating
// it as a name would make clauses ambiguous (`SELECT a FROM t` must not alias
// a as "from"). Every other keyword — window, timestamp, date, key, value,
// first, over, filter, … — stays usable as a name and is recognised only
// where its clause can start. Reserved words may still be used after AS, after
// a dot, or double-quoted.
var reserved = map[string]bool{
	"all": true, "and": true, "as": true, "asc": true, "between": true,
	"case": true, "cast": true, "create": true, "cross": true,
	"current_date": true, "current_timestamp": true, "desc": true,
	"distinct": true, "else": true, "emit": true, "end": true, "except": true,
	"exists": true, "false": true, "fetch": true, "for": true, "from": true,
	"full": true, "group": true, "having": true, "ilike": true, "in": true,
	"inner": true, "intersect": true, "into": true, "is": true, "join": true,
	"left": true, "like": true, "limit": true, "natural": true, "not": true,
	"null": true, "offset": true, "on": true, "or": true, "order": true,
	"outer": true, "right": true, "select": true, "table": true, "then": true,
	"true": true, "union": true, "using": true, "values": true, "when": true,
	"where": true, "with": true,
}

// callableReserved are reserved words that also name ordinary functions;
// the grammar can tell them apart because a call is followed by '('.
var callableReserved = map[string]bool{"left": true, "right": true}

// specialCalls are function-like forms with their own argument grammar. A
// FuncCall that happens to carry one of these names (only possible when it
// was double-quoted) must be printed quoted to keep its meaning.
var specialCalls = map[string]bool{
	"cast": true, "try_cast": true, "extract": true, "substring": true,
}

// intervalUnits maps the unit words accepted after an interval string to
// their canonical singular upper-case form, so the binder sees one
// spelling whether the query said MINUTE or MINUTES.
var intervalUnits = map[string]string{
	"year": "YEAR", "years": "YEAR",
	"month": "MONTH", "months": "MONTH",
	"week": "WEEK", "weeks": "WEEK",
	"day": "DAY", "days": "DAY",
	"hour": "HOUR", "hours": "HOUR",
	"minute": "MINUTE", "minutes": "MINUTE",
	"second": "SECOND", "seconds": "SECOND",
	"millisecond": "MILLISECOND", "milliseconds": "MILLISECOND",
	"microsecond": "MICROSECOND", "microseconds": "MICROSECOND",
}

// typedLiteralTypes are the type names that turn a following string into a
// TypedLit (`DATE '2026-01-01'`). Elsewhere these words are plain names.
var typedLiteralTypes = map[string]string{
	"timestamp": "TIMESTAMP", "timestamptz": "TIMESTAMPTZ",
	"date": "DATE", "time": "TIME",
}

// queryContinuation are the words that can follow a parenthesised query
// operand but never a parenthesised expression or join; seeing one after
// `((SELECT …)` proves the outer parenthesis opens a query.
var queryContinuation = map[string]bool{
	"union": true, "intersect": true, "except": true, "order": true,
	"limit": true, "offset": true, "fetch": true, "emit": true,
}
