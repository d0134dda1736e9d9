package rules

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/explain"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/types"
)

// fakeTable has a schema and cannot be scanned: plans are only rewritten.
// rows feeds the reference interpreter of semantics_test.go.
type fakeTable struct {
	schema *arrow.Schema
	rows   [][]any
}

func (t *fakeTable) Schema() *arrow.Schema { return t.schema }
func (t *fakeTable) Scan(context.Context, catalog.ScanRequest) (catalog.BatchReader, error) {
	return nil, errors.New("fake table: scan not supported")
}

type colSpec struct {
	name string
	t    types.Type
}

func c(name string, t types.Type) colSpec { return colSpec{name, t} }

// builder makes plans with ids from one generator, as the binder would.
type builder struct{ gen logical.IDGen }

func (b *builder) scan(name string, cols ...colSpec) *logical.Scan {
	fields := make([]arrow.Field, len(cols))
	s := &logical.Scan{Name: name, Limit: -1}
	for i, cs := range cols {
		fields[i] = arrow.Field{Name: cs.name, Type: cs.t.ArrowType(), Nullable: true}
		s.Cols = append(s.Cols, logical.Column{ID: b.gen.Next(), Name: cs.name, Table: name, Type: cs.t, Nullable: true})
		s.Ordinals = append(s.Ordinals, i)
	}
	s.Table = &fakeTable{schema: arrow.NewSchema(fields, nil)}
	return s
}

// project computes exprs into new columns named names.
func (b *builder) project(in logical.Node, names []string, exprs ...logical.Expr) *logical.Project {
	p := &logical.Project{Input: in, Exprs: exprs}
	for i, e := range exprs {
		p.Cols = append(p.Cols, logical.Column{ID: b.gen.Next(), Name: names[i], Type: e.Type(), Nullable: true})
	}
	return p
}

func (b *builder) aggregate(in logical.Node, groupBy []logical.Expr, groupNames []string, aggs []logical.AggCall, aggNames []string) *logical.Aggregate {
	a := &logical.Aggregate{Input: in, GroupBy: groupBy, Aggs: aggs}
	for i, e := range groupBy {
		a.GroupCols = append(a.GroupCols, logical.Column{ID: b.gen.Next(), Name: groupNames[i], Type: e.Type(), Nullable: true})
	}
	for i, ag := range aggs {
		a.AggCols = append(a.AggCols, logical.Column{ID: b.gen.Next(), Name: aggNames[i], Type: ag.T, Nullable: true})
	}
	return a
}

func (b *builder) union(inputs ...logical.Node) *logical.Union {
	u := &logical.Union{Inputs: inputs}
	for _, c := range inputs[0].Schema() {
		c.ID = b.gen.Next()
		u.Cols = append(u.Cols, c)
	}
	return u
}

// ref finds the column called name in n's schema.
func ref(t *testing.T, n logical.Node, name string) *logical.ColumnRef {
	t.Helper()
	for _, c := range n.Schema() {
		if c.Name == name {
			return colRef(c)
		}
	}
	t.Fatalf("no column %s in %s", name, n)
	return nil
}

func lit(v int64) *logical.Literal          { return &logical.Literal{Value: v, T: types.BigintType} }
func slit(v string) *logical.Literal        { return &logical.Literal{Value: v, T: types.VarcharType} }
func blit(v bool) *logical.Literal          { return &logical.Literal{Value: v, T: types.BooleanType} }
func nullLit(t types.Type) *logical.Literal { return &logical.Literal{T: t} }

func call(f string, t types.Type, args ...logical.Expr) *logical.Call {
	return &logical.Call{Func: f, Args: args, T: t}
}
func cmp(op string, a, b logical.Expr) *logical.Call { return call(op, types.BooleanType, a, b) }
func and(a, b logical.Expr) *logical.Call            { return call("and", types.BooleanType, a, b) }
func or(a, b logical.Expr) *logical.Call             { return call("or", types.BooleanType, a, b) }
func not(a logical.Expr) *logical.Call               { return call("not", types.BooleanType, a) }
func add(a, b logical.Expr) *logical.Call            { return call("+", types.BigintType, a, b) }

// fakeFold evaluates the few BIGINT and BOOLEAN operators the tests use,
// failing on division by zero and on anything else, like a real folder
// that does not know a function.
func fakeFold(e logical.Expr) (*logical.Literal, error) {
	cl, ok := e.(*logical.Call)
	if !ok {
		return nil, fmt.Errorf("fake fold: cannot fold %s", e)
	}
	vals := make([]any, len(cl.Args))
	for i, a := range cl.Args {
		l, ok := a.(*logical.Literal)
		if !ok {
			return nil, fmt.Errorf("fake fold: %s is not a literal", a)
		}
		vals[i] = l.Value
	}
	switch cl.Func {
	case "+", "-", "*", "/", "=", "<", ">":
		a, ok1 := vals[0].(int64)
		b, ok2 := vals[1].(int64)
		if vals[0] == nil || vals[1] == nil {
			return &logical.Literal{T: cl.T}, nil
		}
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("fake fold: %s wants BIGINT", cl.Func)
		}
		switch cl.Func {
		case "+":
			return lit(a + b), nil
		case "-":
			return lit(a - b), nil
		case "*":
			return lit(a * b), nil
		case "/":
			if b == 0 {
				return nil, errors.New("division by zero")
			}
			return lit(a / b), nil
		case "=":
			return blit(a == b), nil
		case "<":
			return blit(a < b), nil
		default:
			return blit(a > b), nil
		}
	case "not":
		if vals[0] == nil {
			return nullLit(types.BooleanType), nil
		}
		return blit(!vals[0].(bool)), nil
	}
	return nil, fmt.Errorf("fake fold: unknown function %s", cl.Func)
}

// expectTree compares n rendered by explain.Tree with want, whose leading
// newline is ignored.
func expectTree(t *testing.T, n logical.Node, want string) {
	t.Helper()
	want = strings.TrimPrefix(want, "\n")
	if got := explain.Tree(n); got != want {
		t.Fatalf("plan mismatch\n--- got\n%s--- want\n%s", got, want)
	}
}

// apply runs r once, checks the schema is kept, and that a second run is a
// no-op (the rule reaches its fixpoint in one application).
func apply(t *testing.T, r Rule, n logical.Node, ctx *Context) (logical.Node, bool) {
	t.Helper()
	before := explain.Tree(n)
	out, changed, err := r.Apply(n, ctx)
	if err != nil {
		t.Fatalf("%s: %v", r.Name(), err)
	}
	if explain.Tree(n) != before {
		t.Fatalf("%s modified its input plan", r.Name())
	}
	if !colsEqual(out.Schema(), n.Schema()) {
		t.Fatalf("%s changed the schema: %s -> %s", r.Name(), describeCols(n.Schema()), describeCols(out.Schema()))
	}
	if !changed && out != n {
		t.Fatalf("%s reported no change but returned a new plan", r.Name())
	}
	again, changed2, err := r.Apply(out, ctx)
	if err != nil {
		t.Fatalf("%s (second run): %v", r.Name(), err)
	}
	if changed2 {
		t.Fatalf("%s is not idempotent:\n%s--- then\n%s", r.Name(), explain.Tree(out), explain.Tree(again))
	}
	return out, changed
}
