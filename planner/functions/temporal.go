package functions

import (
	"strings"

	"github.com/streamsql/streamsql/planner/types"
)

// Date and time functions. TIMESTAMP is UTC with microsecond precision;
// DATE arguments are cast to TIMESTAMP (midnight) where a TIMESTAMP is
// expected.

func registerTemporal() {
	register(&Function{Name: "now", Aliases: []string{"current_timestamp"},
		Doc:     "The statement's start time; every call in one query returns the same instant.",
		Example: "now() = now()", Resolve: overloads("now", fixed(tTimestamp))})
	register(&Function{Name: "current_date", Doc: "The UTC date of now().",
		Example: "current_date() <= now()", Resolve: overloads("current_date", fixed(tDate))})
	register(&Function{Name: "date_trunc",
		Doc: "date_trunc(unit, t): t rounded down to the start of its unit: microsecond, millisecond, second, minute, hour, day, " +
			"week (ISO, starting Monday), month, quarter, year, decade, century or millennium.",
		Example: "date_trunc('hour', TIMESTAMP '2024-05-06 07:08:09')",
		Resolve: overloads("date_trunc", fixed(tTimestamp, tVarchar, tTimestamp))})
	register(&Function{Name: "date_bin",
		Doc: "date_bin(stride, t [, origin]): the start of the stride-wide bin holding t, bins aligned to origin " +
			"(default 1970-01-01 00:00:00); stride may not contain months.",
		Example: "date_bin(INTERVAL '15 minutes', TIMESTAMP '2024-05-06 07:08:09')",
		Resolve: overloads("date_bin", fixed(tTimestamp, tInterval, tTimestamp), fixed(tTimestamp, tInterval, tTimestamp, tTimestamp))})
	register(&Function{Name: "date_part", Aliases: []string{"extract", "datepart"},
		Doc: "date_part(field, t): a field of a TIMESTAMP or INTERVAL: year, quarter, month, week (ISO), day, doy, dow (Sunday 0), " +
			"isodow (Monday 1), hour, minute, second (with fraction), millisecond, microsecond, epoch (seconds since 1970, with fraction), " +
			"decade, century, millennium, isoyear. EXTRACT(field FROM t) is the same. DOUBLE in general; BIGINT for integral fields when the field is a constant.",
		Example:    "date_part('year', TIMESTAMP '2024-05-06 07:08:09')",
		Resolve:    overloads("date_part", fixed(tDouble, tVarchar, tTimestamp), fixed(tDouble, tVarchar, tInterval)),
		Specialize: specializeDatePart})
	register(&Function{Name: "to_timestamp",
		Doc:     "to_timestamp(seconds) converts Unix epoch seconds (with fraction) to a TIMESTAMP; to_timestamp(text) parses ISO-8601 text.",
		Example: "to_timestamp(1700000000)",
		Resolve: overloads("to_timestamp", fixed(tTimestamp, tDouble), fixed(tTimestamp, tVarchar))})
	register(&Function{Name: "to_date", Doc: "to_date(text) parses YYYY-MM-DD (or a timestamp, keeping its date).",
		Example: "to_date('2024-05-06')", Resolve: overloads("to_date", fixed(tDate, tVarchar))})
}

// DatePartIsIntegral reports whether date_part(field, …) has integral
// values, so it may be typed BIGINT. field is canonicalised the way the
// kernel does (lower case, plural and abbreviated forms accepted).
func DatePartIsIntegral(field string) bool {
	switch DatePartField(field) {
	case "second", "epoch", "":
		return false
	}
	return true
}

// DatePartField canonicalises a date_part field name; "" when unknown.
func DatePartField(field string) string {
	f := strings.ToLower(strings.TrimSpace(field))
	switch f {
	case "dow", "isodow", "doy", "epoch", "isoyear", "millennium", "millenniums", "millennia":
		if strings.HasPrefix(f, "millenn") {
			return "millennium"
		}
		return f
	case "dayofweek", "weekday":
		return "dow"
	case "dayofyear":
		return "doy"
	}
	u, ok := types.IntervalUnit(f)
	if !ok {
		return ""
	}
	return u
}

func specializeDatePart(sig Signature, consts []any) Signature {
	if len(consts) < 1 {
		return sig
	}
	if f, ok := consts[0].(string); ok && DatePartIsIntegral(f) {
		sig.Return = tBigint
	}
	return sig
}
