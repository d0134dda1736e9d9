package functions

// String functions. Lengths and positions count characters (UTF-8 code
// points), 1-based, as in Postgres.

func registerStrings() {
	str := func(name string, aliases []string, doc, ex string, os ...overload) {
		register(&Function{Name: name, Aliases: aliases, Doc: doc, Example: ex, Resolve: overloads(name, os...)})
	}
	str("lower", nil, "Converts a string to lower case.", "lower('StreamSQL')",
		fixed(tVarchar, tVarchar))
	str("upper", nil, "Converts a string to upper case.", "upper('StreamSQL')",
		fixed(tVarchar, tVarchar))
	str("length", []string{"char_length", "character_length"}, "Number of characters in a string.", "length('héllo')",
		fixed(tBigint, tVarchar))
	str("substr", []string{"substring"}, "substr(s, start [, count]): the characters of s from position start (1-based), at most count of them; Postgres rules for start < 1.",
		"substr('streamsql', 7, 3)",
		fixed(tVarchar, tVarchar, tBigint), fixed(tVarchar, tVarchar, tBigint, tBigint))
	register(&Function{Name: "concat", Doc: "Concatenates the text of every argument, skipping NULLs.",
		Example: "concat('a', NULL, 1, true)", Resolve: allTo("concat", 1, tVarchar, tVarchar)})
	str("trim", []string{"btrim"}, "trim(s [, chars]): removes the characters in chars (default: spaces) from both ends of s.",
		"trim('  hi  ')", fixed(tVarchar, tVarchar), fixed(tVarchar, tVarchar, tVarchar))
	str("ltrim", nil, "ltrim(s [, chars]): removes the characters in chars (default: spaces) from the start of s.",
		"ltrim('xxhix', 'x')", fixed(tVarchar, tVarchar), fixed(tVarchar, tVarchar, tVarchar))
	str("rtrim", nil, "rtrim(s [, chars]): removes the characters in chars (default: spaces) from the end of s.",
		"rtrim('hi  ')", fixed(tVarchar, tVarchar), fixed(tVarchar, tVarchar, tVarchar))
	str("replace", nil, "replace(s, from, to): replaces every occurrence of from in s with to.",
		"replace('a-b-c', '-', '+')", fixed(tVarchar, tVarchar, tVarchar, tVarchar))
	str("starts_with", nil, "starts_with(s, prefix): whether s begins with prefix.",
		"starts_with('streamsql', 'stream')", fixed(tBool, tVarchar, tVarchar))
	str("ends_with", nil, "ends_with(s, suffix): whether s ends with suffix.",
		"ends_with('streamsql', 'sql')", fixed(tBool, tVarchar, tVarchar))
	str("split_part", nil, "split_part(s, delimiter, n): the n-th field of s split on delimiter (1-based; negative n counts from the end; '' past the end).",
		"split_part('a,b,c', ',', 2)", fixed(tVarchar, tVarchar, tVarchar, tBigint))
	str("split_index", nil, "split_index(s, delimiter, i): the field at 0-based index i of s split on delimiter, NULL past the end (Flink's SPLIT_INDEX).",
		"split_index('a/b/c', '/', 1)", fixed(tVarchar, tVarchar, tVarchar, tBigint))
	str("regexp_like", nil, "regexp_like(s, pattern [, flags]): whether the regular expression (RE2 syntax) matches somewhere in s; flag 'i' ignores case.",
		"regexp_like('abc123', '[0-9]+$')", fixed(tBool, tVarchar, tVarchar), fixed(tBool, tVarchar, tVarchar, tVarchar))
	str("regexp_replace", nil, `regexp_replace(s, pattern, replacement [, flags]): replaces the first match (every match with flag 'g'; 'i' ignores case); \1..\9 and \& in replacement insert captured text.`,
		"regexp_replace('a1b22c333', '[0-9]+', '#', 'g')",
		fixed(tVarchar, tVarchar, tVarchar, tVarchar), fixed(tVarchar, tVarchar, tVarchar, tVarchar, tVarchar))
	str("left", nil, "left(s, n): the first n characters of s; all but the last -n when n is negative.",
		"left('streamsql', 6)", fixed(tVarchar, tVarchar, tBigint))
	str("right", nil, "right(s, n): the last n characters of s; all but the first -n when n is negative.",
		"right('streamsql', 3)", fixed(tVarchar, tVarchar, tBigint))
	str("strpos", []string{"position", "instr"}, "strpos(s, sub): 1-based character position of the first occurrence of sub in s, 0 when absent.",
		"strpos('streamsql', 'sql')", fixed(tBigint, tVarchar, tVarchar))
	str("reverse", nil, "Reverses the characters of a string.", "reverse('abc')",
		fixed(tVarchar, tVarchar))
	str("lpad", nil, "lpad(s, length [, fill]): pads s on the left with fill (default a space) to length characters, truncating if longer.",
		"lpad('7', 3, '0')", fixed(tVarchar, tVarchar, tBigint), fixed(tVarchar, tVarchar, tBigint, tVarchar))
	str("rpad", nil, "rpad(s, length [, fill]): pads s on the right with fill (default a space) to length characters, truncating if longer.",
		"rpad('ab', 4, '.')", fixed(tVarchar, tVarchar, tBigint), fixed(tVarchar, tVarchar, tBigint, tVarchar))
	str("repeat", nil, "repeat(s, n): s repeated n times ('' for n <= 0).",
		"repeat('ab', 3)", fixed(tVarchar, tVarchar, tBigint))
}
