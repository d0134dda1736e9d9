package expr

import (
	"errors"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/functions"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

// Compile turns a bound expression into an evaluator over batches whose
// columns are placed as layout says. Constant subtrees are folded here
// (except now() and current_date(), which depend on the Context).
func Compile(e logical.Expr, layout Layout) (Evaluator, error) {
	c := &compiler{layout: layout}
	return c.compile(e)
}

type compiler struct{ layout Layout }

func (c *compiler) compile(e logical.Expr) (Evaluator, error) {
	switch e := e.(type) {
	case *logical.ColumnRef:
		pos, ok := c.layout[e.ID]
		if !ok {
			return nil, fmt.Errorf("compiling column reference %s: not in the input layout", e)
		}
		return &colEval{pos: pos, t: e.T, name: e.String()}, nil
	case *logical.Literal:
		v, err := coerce(e.Value, e.T)
		if err != nil {
			return nil, fmt.Errorf("compiling literal %s: %w", e, err)
		}
		return &constEval{v: v, t: e.T}, nil
	case *logical.Param:
		return nil, fmt.Errorf("compiling %s: unbound parameter $%d", e, e.Index)
	case *logical.Subquery:
		return nil, errors.New("compiling subquery: subquery must be evaluated before compile")
	case *logical.Cast:
		x, err := c.compile(e.X)
		if err != nil {
			return nil, err
		}
		return foldIfConst(newCastEval(x, e.To, e.Try), x), nil
	case *logical.Call:
		return c.compileCall(e)
	case *logical.Case:
		return c.compileCase(e)
	case *logical.InList:
		return c.compileInList(e)
	case nil:
		return nil, errors.New("compiling expression: nil expression")
	}
	return nil, fmt.Errorf("compiling %s: unsupported expression %T", e, e)
}

// callInfo is what a kernel factory sees: compiled arguments (constants
// are *constEval, inspect them with constOf) and the types involved.
type callInfo struct {
	name  string
	args  []Evaluator
	types []types.Type
	ret   types.Type
}

// factory builds the evaluator of one function for one call site.
type factory func(c *callInfo) (Evaluator, error)

var (
	kernels     map[string]factory
	kernelsOnce sync.Once
)

// kernelTable returns the kernels by canonical name, registered on first
// use rather than at package init, which every program linking the engine
// paid at start-up (a Durable Object's cold start most).
func kernelTable() map[string]factory {
	kernelsOnce.Do(func() {
		kernels = map[string]factory{}
		registerArithKernels()
		registerCompareKernels()
		registerJSONKernels()
		registerLikeKernels()
		registerLogicKernels()
		registerMathKernels()
		registerStringsKernels()
		registerTimeKernels()
	})
	return kernels
}

// nonStrict lists functions whose result may be non-NULL when an argument
// is NULL; every other kernel returns NULL for a row with any NULL input.
var nonStrict = map[string]bool{
	"and": true, "or": true, "is_null": true, "is_not_null": true, "is_distinct_from": true,
	"is_not_distinct_from": true, "coalesce": true, "concat": true, "greatest": true, "least": true,
	"nullif": true, "hash": true,
}

// volatile functions depend on the Context and are not folded by Compile.
var volatile = map[string]bool{"now": true, "current_date": true}

// HasKernel reports whether a scalar function or operator (canonical name
// or alias) has a kernel here.
func HasKernel(name string) bool {
	_, ok := kernelTable()[canonical(name)]
	return ok
}

func canonical(name string) string {
	if _, ok := kernelTable()[name]; ok {
		return name
	}
	if f, ok := functions.Lookup(name); ok {
		return f.Name
	}
	return name
}

func (c *compiler) compileCall(e *logical.Call) (Evaluator, error) {
	name := canonical(e.Func)
	f, ok := kernelTable()[name]
	if !ok {
		return nil, fmt.Errorf("compiling %s: no kernel for function %s", e, e.Func)
	}
	info := &callInfo{name: name, ret: e.T}
	allConst := true
	for _, a := range e.Args {
		ev, err := c.compile(a)
		if err != nil {
			return nil, err
		}
		if !nonStrict[name] && (ev.Type().Kind == types.Null || isNullConst(ev)) {
			return &constEval{t: e.T}, nil // strict: a NULL argument makes every row NULL
		}
		_, isConst := constOf(ev)
		allConst = allConst && isConst
		info.args = append(info.args, ev)
		info.types = append(info.types, ev.Type())
	}
	ev, err := f(info)
	if err != nil {
		return nil, fmt.Errorf("compiling %s: %w", e, err)
	}
	if allConst && !volatile[name] {
		return foldConst(ev), nil
	}
	return ev, nil
}

// foldCtx evaluates constant subtrees at compile time.
var foldCtx = &Context{Mem: memory.DefaultAllocator}

// foldIfConst folds ev when its only input x is constant.
func foldIfConst(ev, x Evaluator) Evaluator {
	if _, ok := constOf(x); ok {
		return foldConst(ev)
	}
	return ev
}

// foldConst evaluates an evaluator without column inputs once; when that
// fails (say 1/0 in a CASE branch that may never run) it keeps ev, so the
// error surfaces only if the value is really needed.
func foldConst(ev Evaluator) Evaluator {
	v, err := evalScalar(foldCtx, ev)
	if err != nil {
		return ev
	}
	return &constEval{v: v, t: ev.Type()}
}

// oneRow is a batch with one row and no columns, for evaluating constants.
var oneRow = array.NewRecordBatch(arrow.NewSchema(nil, nil), nil, 1)

func evalScalar(ctx *Context, ev Evaluator) (any, error) {
	if c, ok := ev.(*constEval); ok {
		return c.v, nil
	}
	arr, err := ev.Eval(ctx, oneRow)
	if err != nil {
		return nil, err
	}
	defer arr.Release()
	if arr.Len() != 1 {
		return nil, fmt.Errorf("evaluating constant: got %d rows, want 1", arr.Len())
	}
	return ScalarValue(arr, 0), nil
}

// Fold evaluates a constant expression (no ColumnRefs) to a Literal;
// planner rules use it for constant folding. now() reads ctx.Now.
func Fold(ctx *Context, e logical.Expr) (*logical.Literal, error) {
	ev, err := Compile(e, nil)
	if err != nil {
		return nil, fmt.Errorf("folding %s: %w", e, err)
	}
	if ctx == nil {
		ctx = foldCtx
	}
	v, err := evalScalar(ctx, ev)
	if err != nil {
		return nil, fmt.Errorf("folding %s: %w", e, err)
	}
	return &logical.Literal{Value: v, T: e.Type()}, nil
}

// colEval reads a column of the batch.
type colEval struct {
	pos  int
	t    types.Type
	name string
}

func (e *colEval) Type() types.Type { return e.t }

func (e *colEval) Eval(ctx *Context, b arrow.RecordBatch) (arrow.Array, error) {
	if e.pos < 0 || e.pos >= int(b.NumCols()) {
		return nil, fmt.Errorf("evaluating %s: column %d not in a batch of %d columns", e.name, e.pos, b.NumCols())
	}
	col := b.Column(e.pos)
	if e.t.Kind == types.Null || arrow.TypeEqual(col.DataType(), e.t.ArrowType()) {
		col.Retain()
		return col, nil
	}
	out, err := CastArray(ctx, col, e.t, false)
	if err != nil {
		return nil, fmt.Errorf("evaluating %s: %w", e.name, err)
	}
	return out, nil
}

// constEval broadcasts a constant.
type constEval struct {
	v any
	t types.Type
}

func (e *constEval) Type() types.Type { return e.t }

func (e *constEval) Eval(ctx *Context, b arrow.RecordBatch) (arrow.Array, error) {
	return MakeArray(allocator(ctx), e.v, e.t, int(b.NumRows()))
}

// constOf returns the value of a constant evaluator.
func constOf(e Evaluator) (any, bool) {
	if c, ok := e.(*constEval); ok {
		return c.v, true
	}
	return nil, false
}

func isNullConst(e Evaluator) bool {
	v, ok := constOf(e)
	return ok && v == nil
}

// funcEval evaluates its non-nil arguments and hands them to fn (nil
// entries stay nil: constants the kernel captured at compile time).
type funcEval struct {
	name   string
	noFail bool // the kernel cannot fail on valid input (see canFail)
	t      types.Type
	args   []Evaluator
	fn     func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error)
}

func (e *funcEval) Type() types.Type { return e.t }

func (e *funcEval) Eval(ctx *Context, b arrow.RecordBatch) (_ arrow.Array, err error) {
	defer recoverKernel(e.name, &err)
	in := make([]arrow.Array, len(e.args))
	defer releaseAll(in)
	for i, a := range e.args {
		if a == nil {
			continue
		}
		arr, err := a.Eval(ctx, b)
		if err != nil {
			return nil, err
		}
		in[i] = arr
	}
	out, err := e.fn(ctx, int(b.NumRows()), in)
	if err != nil {
		return nil, fmt.Errorf("evaluating %s: %w", displayName(e.name), err)
	}
	return out, nil
}

// newFunc is a funcEval over all of c's arguments.
func newFunc(c *callInfo, fn func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error)) *funcEval {
	return &funcEval{name: c.name, t: c.ret, args: c.args, fn: fn}
}

// newFuncArgs is a funcEval over the given arguments.
func newFuncArgs(c *callInfo, args []Evaluator, fn func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error)) *funcEval {
	return &funcEval{name: c.name, t: c.ret, args: args, fn: fn}
}

// recoverKernel turns a kernel panic (a bug) into an error, so a query
// fails instead of the process.
func recoverKernel(name string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("evaluating %s: internal error: %v", displayName(name), r)
	}
}

// infallible marks a kernel that cannot fail (e.g. LIKE with a pattern
// already compiled), so CASE and AND/OR need not isolate its rows.
func infallible(e *funcEval) *funcEval {
	e.noFail = true
	return e
}

var opNames = map[string]string{"neg": "unary -", "and": "AND", "or": "OR", "not": "NOT", "like": "LIKE", "ilike": "ILIKE"}

func displayName(name string) string {
	if d, ok := opNames[name]; ok {
		return d
	}
	return name
}
