package functions

// exampleResults holds each function's Result: the value of its Example.
// Kept in one table so the expected outputs are easy to review together.
var exampleResults = map[string]string{
	"+": "3", "-": "12:00:00", "*": "02:30:00", "/": "3", "%": "-1", "neg": "-5",
	"=": "true", "<>": "true", "<": "true", "<=": "true", ">": "true", ">=": "true",
	"is_distinct_from": "true", "is_not_distinct_from": "true",
	"and": "NULL", "or": "true", "not": "true", "||": "abc123", "is_null": "true", "is_not_null": "true",
	"like": "true", "ilike": "true", "->": `{"b": [10, 20]}`, "->>": "x",

	"lower": "streamsql", "upper": "STREAMSQL", "length": "5", "substr": "sql", "concat": "a1true",
	"trim": "hi", "ltrim": "hix", "rtrim": "hi", "replace": "a+b+c", "starts_with": "true",
	"ends_with": "true", "split_part": "b", "split_index": "b", "regexp_like": "true", "regexp_replace": "a#b#c#",
	"left": "stream", "right": "sql", "strpos": "7", "reverse": "cba", "lpad": "007", "rpad": "ab..",
	"repeat": "ababab",

	"now": "true", "current_date": "true", "date_trunc": "2024-05-06 07:00:00",
	"date_bin": "2024-05-06 07:00:00", "date_part": "2024", "to_timestamp": "2023-11-14 22:13:20",
	"to_date": "2024-05-06",

	"json_get": `{"b": true}`, "json_get_str": "x", "json_get_int": "6", "json_get_float": "1.5",
	"json_get_bool": "true", "json_as_text": `{"b": 1}`, "json_length": "3", "json_contains": "true",

	"coalesce": "2", "nullif": "NULL", "greatest": "7.5", "least": "a",

	"abs": "4", "sign": "-1", "round": "2.57", "trunc": "-2.5", "floor": "-2", "ceil": "2", "sqrt": "4",
	"ln": "0", "log10": "3", "exp": "1", "power": "1024", "mod": "2", "pi": "3.141592653589793",
	"md5": "900150983cd24fb0d6963f7d28e17f72", "hash": "true",

	"count": "1", "sum": "2", "avg": "3", "min": "4", "max": "x",
}
