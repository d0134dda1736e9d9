package functions

import (
	"github.com/streamsql/streamsql/planner/types"
)

// Aggregates: only signatures live here; operators/agg holds the kernels.
// Arguments are not cast (sum(INTEGER) reads int32 and returns BIGINT),
// except that a NULL-typed argument takes the natural type.

func registerAggregates() {
	register(&Function{Name: "count", Kind: Aggregate,
		Doc: "count(*) counts rows; count(x) counts rows where x is not NULL.", Example: "count(1)",
		Resolve: func(args []types.Type) (Signature, error) {
			if len(args) > 1 {
				return Signature{}, noFunction("count", args, "() or (any)")
			}
			return Signature{Args: append([]types.Type(nil), args...), Return: tBigint}, nil
		}})
	register(&Function{Name: "sum", Kind: Aggregate, Doc: "Sum of the non-NULL values; BIGINT for integers, DOUBLE for doubles, INTERVAL for intervals; NULL for no rows.",
		Example: "sum(2)", Resolve: overloads("sum", fixed(tBigint, tBigint), fixed(tBigint, tInt), fixed(tDouble, tDouble), fixed(tInterval, tInterval))})
	register(&Function{Name: "avg", Kind: Aggregate, Doc: "Mean of the non-NULL values as DOUBLE.",
		Example: "avg(3)", Resolve: overloads("avg", fixed(tDouble, tDouble), fixed(tDouble, tInt), fixed(tDouble, tBigint))})
	for _, f := range []struct{ name, doc, ex string }{
		{"min", "Smallest non-NULL value, of any ordered type.", "min(4)"},
		{"max", "Largest non-NULL value, of any ordered type.", "max('x')"},
	} {
		name := f.name
		register(&Function{Name: name, Kind: Aggregate, Doc: f.doc, Example: f.ex,
			Resolve: func(args []types.Type) (Signature, error) {
				if len(args) != 1 {
					return Signature{}, noFunction(name, args, "(any)")
				}
				t := args[0]
				if t.Kind == types.Null {
					t = tVarchar
				}
				return Signature{Args: []types.Type{t}, Return: t}, nil
			}})
	}
}
