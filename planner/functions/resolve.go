package functions

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/planner/types"
)

// Shorthands for the signature tables.
var (
	tNull      = types.NullType
	tBool      = types.BooleanType
	tInt       = types.IntegerType
	tBigint    = types.BigintType
	tDouble    = types.DoubleType
	tVarchar   = types.VarcharType
	tTimestamp = types.TimestampType
	tDate      = types.DateType
	tInterval  = types.IntervalType
	tJSON      = types.JSONType
)

// overload is one accepted parameter list. With variadic set the last
// parameter may repeat any number of times (including zero).
type overload struct {
	params   []types.Type
	variadic bool
	ret      types.Type
}

func fixed(ret types.Type, params ...types.Type) overload {
	return overload{params: params, ret: ret}
}

func variadic(ret types.Type, params ...types.Type) overload {
	return overload{params: params, variadic: true, ret: ret}
}

func (o overload) String() string {
	parts := make([]string, len(o.params))
	for i, p := range o.params {
		parts[i] = p.String()
	}
	if o.variadic && len(parts) > 0 {
		parts[len(parts)-1] += "..."
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// match reports whether args fit o and how many implicit casts it takes.
// A NULL-typed argument fits any parameter for free.
func (o overload) match(args []types.Type) (Signature, int, bool) {
	n := len(o.params)
	if o.variadic {
		if len(args) < n-1 {
			return Signature{}, 0, false
		}
	} else if len(args) != n {
		return Signature{}, 0, false
	}
	sig := Signature{Args: make([]types.Type, len(args)), Return: o.ret}
	cost := 0
	for i, a := range args {
		p := o.params[min(i, n-1)]
		switch {
		case a == p || a.Kind == types.Null:
		case types.CanImplicitCast(a, p):
			cost++
		default:
			return Signature{}, 0, false
		}
		sig.Args[i] = p
	}
	return sig, cost, true
}

// overloads resolves to the overload needing the fewest implicit casts;
// ties go to the one declared first.
func overloads(name string, os ...overload) func([]types.Type) (Signature, error) {
	return func(args []types.Type) (Signature, error) {
		best, bestCost := Signature{}, -1
		for _, o := range os {
			if sig, cost, ok := o.match(args); ok && (bestCost < 0 || cost < bestCost) {
				best, bestCost = sig, cost
			}
		}
		if bestCost < 0 {
			takes := make([]string, len(os))
			for i, o := range os {
				takes[i] = o.String()
			}
			return Signature{}, noFunction(name, args, strings.Join(takes, " or "))
		}
		return best, nil
	}
}

// noFunction is the error for a call no signature accepts.
func noFunction(name string, args []types.Type, takes string) error {
	return fmt.Errorf("function %s(%s) does not exist: %s takes %s", name, typeList(args), name, takes)
}

// noOperator is the error for an operator applied to types it lacks.
func noOperator(op string, args []types.Type) error {
	if len(args) == 1 {
		return fmt.Errorf("operator does not exist: %s %s", op, args[0])
	}
	return fmt.Errorf("operator does not exist: %s %s %s", typeOrQ(args, 0), op, typeOrQ(args, 1))
}

func typeOrQ(args []types.Type, i int) string {
	if i < len(args) {
		return args[i].String()
	}
	return "?"
}

func typeList(args []types.Type) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.String()
	}
	return strings.Join(parts, ", ")
}

// commonOf folds types.Common over ts; NULL-only lists give VARCHAR, the
// type of an untyped literal in Postgres.
func commonOf(ts []types.Type) (types.Type, bool) {
	c := tNull
	for _, t := range ts {
		var ok bool
		if c, ok = types.Common(c, t); !ok {
			return types.Type{}, false
		}
	}
	if c.Kind == types.Null {
		c = tVarchar
	}
	return c, true
}

// sameArgs returns a signature whose every argument is t.
func sameArgs(n int, t, ret types.Type) Signature {
	sig := Signature{Args: make([]types.Type, n), Return: ret}
	for i := range sig.Args {
		sig.Args[i] = t
	}
	return sig
}

// anyCommon resolves functions whose arguments unify to one type that is
// also the result (coalesce, greatest, least, nullif).
func anyCommon(name string, minArgs, maxArgs int) func([]types.Type) (Signature, error) {
	return func(args []types.Type) (Signature, error) {
		if len(args) < minArgs || (maxArgs >= 0 && len(args) > maxArgs) {
			return Signature{}, noFunction(name, args, argCount(minArgs, maxArgs)+" arguments of one common type")
		}
		c, ok := commonOf(args)
		if !ok {
			return Signature{}, noFunction(name, args, "arguments of one common type")
		}
		return sameArgs(len(args), c, c), nil
	}
}

func argCount(lo, hi int) string {
	switch {
	case lo == hi:
		return fmt.Sprint(lo)
	case hi < 0:
		return fmt.Sprintf("%d or more", lo)
	}
	return fmt.Sprintf("%d to %d", lo, hi)
}

// anyArgs accepts any argument types unchanged (NULL stays NULL).
func anyArgs(name string, minArgs, maxArgs int, ret types.Type) func([]types.Type) (Signature, error) {
	return func(args []types.Type) (Signature, error) {
		if len(args) < minArgs || (maxArgs >= 0 && len(args) > maxArgs) {
			return Signature{}, noFunction(name, args, argCount(minArgs, maxArgs)+" arguments of any type")
		}
		return Signature{Args: append([]types.Type(nil), args...), Return: ret}, nil
	}
}

// allTo accepts any argument types and casts every one to t.
func allTo(name string, minArgs int, t, ret types.Type) func([]types.Type) (Signature, error) {
	return func(args []types.Type) (Signature, error) {
		if len(args) < minArgs {
			return Signature{}, noFunction(name, args, argCount(minArgs, -1)+" arguments of any type")
		}
		return sameArgs(len(args), t, ret), nil
	}
}
