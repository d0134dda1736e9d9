// Package functions is the one registry of streamsql's SQL functions and
// operators: names, type signatures, documentation and a tested example for
// each. The binder resolves calls through it; operators/expr and
// operators/agg hold the kernels, keyed by the same canonical names.
package functions

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/streamsql/streamsql/planner/types"
)

// Kind separates scalar functions from aggregates.
type Kind int

const (
	Scalar Kind = iota
	Aggregate
)

// Signature is the outcome of resolving a call: the types the binder must
// cast each argument to, and the result type.
type Signature struct {
	Args   []types.Type
	Return types.Type
}

// Function describes one function or operator.
type Function struct {
	Name    string   // canonical lower-case name, e.g. "lower", "+", "date_trunc"
	Aliases []string // other names that resolve here, e.g. "substring" for "substr"
	Kind    Kind
	Doc     string // one line: what it does
	Example string // a SQL expression using it, run by the golden files
	// Result is Example's expected value as streamsql prints it
	// (types.FormatValue; "NULL" for NULL), checked by operators/expr's
	// tests and usable by golden files.
	Result string
	// Resolve picks the signature for the given argument types, or returns
	// an error saying what the function accepts.
	Resolve func(args []types.Type) (Signature, error)
	// Specialize, when non-nil, refines a resolved signature once the
	// caller knows which arguments are constants: consts[i] is the literal
	// value of argument i (nil when not constant). date_part uses it to
	// return BIGINT rather than DOUBLE for integral units. It is optional:
	// the unrefined signature is always valid and has a kernel.
	Specialize func(sig Signature, consts []any) Signature
}

var (
	registry     map[string]*Function
	registryOnce sync.Once
)

// functions returns the registry, built on first use rather than at
// package init: building it there cost every program that links the
// planner its start-up time (a Durable Object's cold start most), and
// most requests never resolve a function.
func functions() map[string]*Function {
	registryOnce.Do(func() {
		registry = map[string]*Function{}
		registerAggregates()
		registerJSON()
		registerMath()
		registerOperators()
		registerStrings()
		registerTemporal()
	})
	return registry
}

// register adds f under its name and aliases (while functions builds the
// registry); duplicates are programming errors caught by the package's
// tests.
func register(f *Function) {
	if f.Result == "" {
		f.Result = exampleResults[f.Name]
	}
	for _, n := range append([]string{f.Name}, f.Aliases...) {
		if _, dup := registry[n]; dup {
			panic("functions: registered twice: " + n)
		}
		registry[n] = f
	}
}

// Lookup finds a function or operator by (case-insensitive) name or alias.
func Lookup(name string) (*Function, bool) {
	f, ok := functions()[strings.ToLower(name)]
	return f, ok
}

// Resolve finds name and resolves it for args.
func Resolve(name string, args []types.Type) (*Function, Signature, error) {
	f, ok := Lookup(name)
	if !ok {
		return nil, Signature{}, fmt.Errorf("unknown function %s", name)
	}
	sig, err := f.Resolve(args)
	if err != nil {
		return f, Signature{}, err
	}
	return f, sig, nil
}

// ResolveConst is Resolve followed by the function's Specialize step (if
// any), for callers that know the constant arguments (consts[i] nil when
// argument i is not a constant).
func ResolveConst(name string, args []types.Type, consts []any) (*Function, Signature, error) {
	f, sig, err := Resolve(name, args)
	if err != nil || f.Specialize == nil {
		return f, sig, err
	}
	return f, f.Specialize(sig, consts), nil
}

// All lists every function once (aliases folded), sorted by name.
func All() []*Function {
	seen := map[*Function]bool{}
	var out []*Function
	for _, f := range functions() {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
