package functions

import (
	"github.com/streamsql/streamsql/planner/types"
)

// Operators, by their canonical names (see logical.Call).

func registerOperators() {
	register(&Function{Name: "+", Doc: "Addition: numbers (widening to the common type), TIMESTAMP/DATE + INTERVAL, DATE + integer days, INTERVAL + INTERVAL.",
		Example: "1 + 2", Resolve: arith("+")})
	register(&Function{Name: "-", Doc: "Subtraction: numbers, TIMESTAMP - INTERVAL, TIMESTAMP - TIMESTAMP (an INTERVAL), DATE - integer days, DATE - DATE (days), INTERVAL - INTERVAL.",
		Example: "TIMESTAMP '2024-01-02 00:00:00' - TIMESTAMP '2024-01-01 12:00:00'", Resolve: arith("-")})
	register(&Function{Name: "*", Doc: "Multiplication of numbers, or of an INTERVAL by a number.",
		Example: "INTERVAL '1 hour' * 2.5", Resolve: arith("*")})
	register(&Function{Name: "/", Doc: "Division; integer division truncates toward zero; dividing by zero is an error.",
		Example: "7 / 2", Resolve: arith("/")})
	register(&Function{Name: "%", Doc: "Remainder of division, with the sign of the dividend; modulo zero is an error.",
		Example: "-7 % 3", Resolve: arith("%")})
	register(&Function{Name: "neg", Doc: "Unary minus of a number or an INTERVAL.",
		Example: "-(2 + 3)", Resolve: resolveNeg})

	for _, op := range []struct{ name, doc, ex string }{
		{"=", "Equality; operands are cast to their common type.", "1 = 1.0"},
		{"<>", "Inequality (also written !=).", "'a' <> 'b'"},
		{"<", "Less than; strings compare bytewise, NaN sorts above every number.", "2 < 10"},
		{"<=", "Less than or equal.", "DATE '2024-01-01' <= TIMESTAMP '2024-01-01 00:00:00'"},
		{">", "Greater than.", "'b' > 'a'"},
		{">=", "Greater than or equal.", "INTERVAL '1 day' >= INTERVAL '24 hours'"},
	} {
		register(&Function{Name: op.name, Doc: op.doc, Example: op.ex, Resolve: comparison(op.name)})
	}
	register(&Function{Name: "is_distinct_from", Doc: "x IS DISTINCT FROM y: inequality that treats NULLs as equal to each other; never NULL.",
		Example: "NULL IS DISTINCT FROM 1", Resolve: comparison("IS DISTINCT FROM")})
	register(&Function{Name: "is_not_distinct_from", Doc: "x IS NOT DISTINCT FROM y: equality that treats NULLs as equal to each other; never NULL.",
		Example: "NULL IS NOT DISTINCT FROM NULL", Resolve: comparison("IS NOT DISTINCT FROM")})

	register(&Function{Name: "and", Doc: "Logical AND with three-valued logic: FALSE AND NULL is FALSE.",
		Example: "true AND NULL", Resolve: logic("AND", 2)})
	register(&Function{Name: "or", Doc: "Logical OR with three-valued logic: TRUE OR NULL is TRUE.",
		Example: "true OR NULL", Resolve: logic("OR", 2)})
	register(&Function{Name: "not", Doc: "Logical negation; NOT NULL is NULL.",
		Example: "NOT false", Resolve: logic("NOT", 1)})

	register(&Function{Name: "||", Doc: "String concatenation; non-string operands are cast to VARCHAR; NULL if either is NULL.",
		Example: "'abc' || 123", Resolve: concatOp})
	register(&Function{Name: "is_null", Doc: "x IS NULL.",
		Example: "NULL IS NULL", Resolve: anyArgs("is_null", 1, 1, tBool)})
	register(&Function{Name: "is_not_null", Doc: "x IS NOT NULL.",
		Example: "1 IS NOT NULL", Resolve: anyArgs("is_not_null", 1, 1, tBool)})
	register(&Function{Name: "like", Doc: "x LIKE pattern [ESCAPE e]: % matches any run of characters, _ one character; the escape character (default backslash) quotes the next one.",
		Example: "'streamsql' LIKE 'stream%'", Resolve: likeOp("LIKE")})
	register(&Function{Name: "ilike", Doc: "Case-insensitive LIKE.",
		Example: "'StreamSQL' ILIKE '%sql'", Resolve: likeOp("ILIKE")})
	register(&Function{Name: "->", Doc: "JSON field (by key) or array element (by 0-based index) as JSON text; NULL when missing.",
		Example: `'{"a": {"b": [10, 20]}}' -> 'a'`, Resolve: jsonArrow("->", tJSON)})
	register(&Function{Name: "->>", Doc: "JSON field or array element as text: strings unquoted, JSON null as NULL.",
		Example: `'{"a": "x", "b": [1, 2]}' ->> 'a'`, Resolve: jsonArrow("->>", tVarchar)})
}

// opDisplay is how an operator is spelled in error messages.
var opDisplay = map[string]string{"neg": "-", "not": "NOT", "and": "AND", "or": "OR", "like": "LIKE", "ilike": "ILIKE"}

func isNum(t types.Type) bool     { return t.IsNumeric() }
func isNumNull(t types.Type) bool { return t.IsNumeric() || t.Kind == types.Null }
func isIntNull(t types.Type) bool { return t.IsInteger() || t.Kind == types.Null }
func isKind(t types.Type, ks ...types.Kind) bool {
	for _, k := range ks {
		if t.Kind == k {
			return true
		}
	}
	return false
}

// dayCount keeps an integer day count as written (INTEGER or BIGINT);
// NULL becomes INTEGER.
func dayCount(t types.Type) types.Type {
	if t.Kind == types.Null {
		return tInt
	}
	return t
}

func arith(op string) func([]types.Type) (Signature, error) {
	return func(args []types.Type) (Signature, error) {
		if len(args) != 2 {
			return Signature{}, noOperator(op, args)
		}
		a, b := args[0], args[1]
		sig := func(x, y, r types.Type) (Signature, error) {
			return Signature{Args: []types.Type{x, y}, Return: r}, nil
		}
		if isNumNull(a) && isNumNull(b) {
			c, _ := types.Common(a, b)
			if c.Kind == types.Null {
				c = tInt
			}
			return sig(c, c, c)
		}
		N := types.Null
		switch op {
		case "+":
			switch {
			case isKind(a, types.Timestamp, types.Date) && isKind(b, types.Interval, N):
				return sig(tTimestamp, tInterval, tTimestamp)
			case isKind(a, types.Interval, N) && isKind(b, types.Timestamp, types.Date):
				return sig(tInterval, tTimestamp, tTimestamp)
			case a.Kind == types.Date && isIntNull(b):
				return sig(tDate, dayCount(b), tDate)
			case isIntNull(a) && b.Kind == types.Date:
				return sig(dayCount(a), tDate, tDate)
			case isKind(a, types.Interval, N) && isKind(b, types.Interval, N):
				return sig(tInterval, tInterval, tInterval)
			}
		case "-":
			switch {
			case isKind(a, types.Timestamp, types.Date) && isKind(b, types.Interval):
				return sig(tTimestamp, tInterval, tTimestamp)
			case a.Kind == types.Date && isKind(b, types.Date):
				return sig(tDate, tDate, tInt)
			case isKind(a, types.Timestamp, types.Date, N) && isKind(b, types.Timestamp, types.Date, N):
				return sig(tTimestamp, tTimestamp, tInterval)
			case a.Kind == types.Date && isIntNull(b):
				return sig(tDate, dayCount(b), tDate)
			case a.Kind == types.Timestamp && b.Kind == N:
				return sig(tTimestamp, tInterval, tTimestamp)
			case isKind(a, types.Interval, N) && isKind(b, types.Interval, N):
				return sig(tInterval, tInterval, tInterval)
			}
		case "*":
			switch {
			case isKind(a, types.Interval) && isNumNull(b):
				return sig(tInterval, tDouble, tInterval)
			case isNumNull(a) && isKind(b, types.Interval):
				return sig(tDouble, tInterval, tInterval)
			}
		case "/":
			if isKind(a, types.Interval) && isNumNull(b) {
				return sig(tInterval, tDouble, tInterval)
			}
		}
		return Signature{}, noOperator(op, args)
	}
}

func resolveNeg(args []types.Type) (Signature, error) {
	if len(args) == 1 {
		switch a := args[0]; {
		case a.Kind == types.Null:
			return Signature{Args: []types.Type{tInt}, Return: tInt}, nil
		case isNum(a), a.Kind == types.Interval:
			return Signature{Args: []types.Type{a}, Return: a}, nil
		}
	}
	return Signature{}, noOperator("-", args)
}

// comparison casts both operands to their common type; the result is
// BOOLEAN. Every type is ordered (BOOLEAN false < true; INTERVAL by its
// length with a month as 30 days, as in Postgres).
func comparison(op string) func([]types.Type) (Signature, error) {
	return func(args []types.Type) (Signature, error) {
		if len(args) != 2 {
			return Signature{}, noOperator(op, args)
		}
		c, ok := types.Common(args[0], args[1])
		if !ok {
			return Signature{}, noOperator(op, args)
		}
		if c.Kind == types.Null {
			c = tVarchar
		}
		return sameArgs(2, c, tBool), nil
	}
}

func logic(op string, n int) func([]types.Type) (Signature, error) {
	return func(args []types.Type) (Signature, error) {
		if len(args) != n {
			return Signature{}, noOperator(op, args)
		}
		for _, a := range args {
			if a.Kind != types.Boolean && a.Kind != types.Null {
				return Signature{}, noOperator(op, args)
			}
		}
		return sameArgs(n, tBool, tBool), nil
	}
}

func concatOp(args []types.Type) (Signature, error) {
	if len(args) != 2 {
		return Signature{}, noOperator("||", args)
	}
	return sameArgs(2, tVarchar, tVarchar), nil
}

func likeOp(op string) func([]types.Type) (Signature, error) {
	return func(args []types.Type) (Signature, error) {
		if len(args) < 2 || len(args) > 3 {
			return Signature{}, noOperator(op, args)
		}
		for _, a := range args {
			if !a.IsString() && a.Kind != types.Null {
				return Signature{}, noOperator(op, args)
			}
		}
		return sameArgs(len(args), tVarchar, tBool), nil
	}
}

// jsonDoc keeps a JSON or VARCHAR document argument as it is (NULL becomes
// JSON); ok is false for other types.
func jsonDoc(t types.Type) (types.Type, bool) {
	switch t.Kind {
	case types.JSON, types.Varchar:
		return t, true
	case types.Null:
		return tJSON, true
	}
	return t, false
}

// jsonKey keeps VARCHAR keys, widens integer indexes to BIGINT and makes a
// NULL key VARCHAR.
func jsonKey(t types.Type) (types.Type, bool) {
	switch {
	case t.Kind == types.Varchar, t.Kind == types.JSON:
		return tVarchar, true
	case t.IsInteger():
		return tBigint, true
	case t.Kind == types.Null:
		return tVarchar, true
	}
	return t, false
}

func jsonArrow(op string, ret types.Type) func([]types.Type) (Signature, error) {
	return func(args []types.Type) (Signature, error) {
		if len(args) != 2 {
			return Signature{}, noOperator(op, args)
		}
		d, ok1 := jsonDoc(args[0])
		k, ok2 := jsonKey(args[1])
		if !ok1 || !ok2 {
			return Signature{}, noOperator(op, args)
		}
		return Signature{Args: []types.Type{d, k}, Return: ret}, nil
	}
}
