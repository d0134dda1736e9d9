package functions

import (
	"github.com/streamsql/streamsql/planner/types"
)

// Conditional, math and hash functions.

func registerMath() {
	register(&Function{Name: "coalesce", Doc: "The first non-NULL argument; arguments are cast to their common type.",
		Example: "coalesce(NULL, 2, 3)", Resolve: anyCommon("coalesce", 1, -1)})
	register(&Function{Name: "nullif", Doc: "nullif(a, b): NULL if a = b, else a.",
		Example: "nullif(5, 5)", Resolve: anyCommon("nullif", 2, 2)})
	register(&Function{Name: "greatest", Doc: "The largest argument, ignoring NULLs (NULL only if all are).",
		Example: "greatest(3, NULL, 7.5)", Resolve: anyCommon("greatest", 1, -1)})
	register(&Function{Name: "least", Doc: "The smallest argument, ignoring NULLs (NULL only if all are).",
		Example: "least('b', 'a', 'c')", Resolve: anyCommon("least", 1, -1)})

	num := func(name string, aliases []string, doc, ex string, os ...overload) {
		register(&Function{Name: name, Aliases: aliases, Doc: doc, Example: ex, Resolve: overloads(name, os...)})
	}
	sameNum := []overload{fixed(tDouble, tDouble), fixed(tInt, tInt), fixed(tBigint, tBigint)}
	num("abs", nil, "Absolute value.", "abs(-4)", sameNum...)
	num("sign", nil, "-1, 0 or 1 by the sign of the argument.", "sign(-2.5)", sameNum...)
	num("round", nil, "round(x [, digits]): x rounded half away from zero to digits decimal places (default 0; negative rounds left of the point).",
		"round(2.567, 2)", append(sameNum, fixed(tDouble, tDouble, tBigint))...)
	num("trunc", nil, "trunc(x [, digits]): x truncated toward zero to digits decimal places (default 0).",
		"trunc(-2.567, 1)", append(sameNum, fixed(tDouble, tDouble, tBigint))...)
	num("floor", nil, "The largest integer not above x.", "floor(-1.5)", sameNum...)
	num("ceil", []string{"ceiling"}, "The smallest integer not below x.", "ceil(1.2)", sameNum...)
	num("sqrt", nil, "Square root; an error for negative numbers.", "sqrt(16)", fixed(tDouble, tDouble))
	num("ln", nil, "Natural logarithm; an error for zero or negative numbers.", "ln(1)", fixed(tDouble, tDouble))
	num("log10", []string{"log"}, "Base-10 logarithm; an error for zero or negative numbers.", "log10(1000)", fixed(tDouble, tDouble))
	num("exp", nil, "e raised to x.", "exp(0)", fixed(tDouble, tDouble))
	num("power", []string{"pow"}, "power(x, y): x raised to y.", "power(2, 10)", fixed(tDouble, tDouble, tDouble))
	num("mod", nil, "mod(x, y): remainder of x / y, with the sign of x (like %).", "mod(17, 5)",
		fixed(tInt, tInt, tInt), fixed(tBigint, tBigint, tBigint), fixed(tDouble, tDouble, tDouble))
	num("pi", nil, "The constant π.", "pi()", fixed(tDouble))

	num("md5", nil, "MD5 digest of a string, as 32 lower-case hex digits.", "md5('abc')", fixed(tVarchar, tVarchar))
	register(&Function{Name: "hash",
		Doc: "A stable 64-bit FNV-1a hash of the arguments' values as BIGINT: integers, doubles and temporals hash their " +
			"little-endian bytes, strings their UTF-8 bytes, NULL a marker byte; the same values of the same types always hash alike.",
		Example: "hash('abc') = hash('abc')", Resolve: anyArgs("hash", 1, -1, types.BigintType)})
}
