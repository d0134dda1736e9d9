package streamsql

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/bind"
	"github.com/streamsql/streamsql/planner/explain"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/parse"
	"github.com/streamsql/streamsql/planner/physical"
	"github.com/streamsql/streamsql/planner/rules"
	"github.com/streamsql/streamsql/planner/types"
)

type headerFunc = func([]string, *arrow.Schema)

// run executes one parsed statement. A panic below is a bug; it is turned
// into an error here so an embedding program (a server, the REPL) keeps
// running and the user sees what failed.
func (e *Engine) run(ctx context.Context, st parse.Statement, src string, params []any, header headerFunc, emit func(arrow.RecordBatch) error, done func(string)) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error (a bug in streamsql; please report it with the query): %v\n%s", r, debug.Stack())
		}
	}()
	// A cancelled statement does nothing, DDL included (which never looks
	// at ctx otherwise): an Exec cancelled between statements stops there.
	if err := ctx.Err(); err != nil {
		return err
	}
	ectx := &expr.Context{Mem: e.mem, Now: e.now().UnixMicro()}
	b, err := bind.Bind(st, src, e.cat, bind.Options{Params: params, Fold: func(x logical.Expr) (*logical.Literal, error) { return expr.Fold(ectx, x) }})
	if err != nil {
		return err
	}
	switch b := b.(type) {
	case *bind.Query:
		plan, err := e.optimize(b, ectx)
		if err != nil {
			return err
		}
		header(b.Names, physical.Schema(renamed(plan.Schema(), b.Names)))
		_, err = e.execute(ctx, plan, ectx, emit)
		return err
	case *bind.Explain:
		return e.explain(ctx, b, ectx, header, emit)
	case *bind.CreateTable:
		if err := e.createTable(ctx, b, ectx); err != nil {
			return err
		}
		done("CREATE TABLE")
	case *bind.CreateView:
		if _, v, err := e.cat.Lookup([]string{b.Name}); err == nil && !(v != nil && b.OrReplace) {
			return fmt.Errorf("creating view: relation %q already exists", b.Name)
		}
		e.cat.PutView(b.Name, catalog.View{SQL: b.SQL, Columns: b.Columns})
		done("CREATE VIEW")
	case *bind.Drop:
		name := strings.Join(b.Name, ".")
		what := strings.ToLower(b.What)
		found, dropped := e.cat.DropKind(name, b.What == "VIEW")
		switch {
		case found && !dropped:
			return fmt.Errorf("dropping %s: %q is not a %s", what, name, what)
		case !found && !b.IfExists:
			return fmt.Errorf("%s %q does not exist: %w", what, name, catalog.ErrNotFound)
		}
		done("DROP " + b.What)
	case *bind.Insert:
		n, err := e.insert(ctx, b, ectx)
		if err != nil {
			return err
		}
		done(fmt.Sprintf("INSERT %d", n))
	default:
		return fmt.Errorf("running %T: unsupported statement", b)
	}
	return nil
}

func renamed(cols []logical.Column, names []string) []logical.Column {
	out := append([]logical.Column{}, cols...)
	for i := range out {
		if i < len(names) {
			out[i].Name = names[i]
		}
	}
	return out
}

func (e *Engine) optimize(q *bind.Query, ectx *expr.Context) (logical.Node, error) {
	rctx := &rules.Context{Gen: q.Gen, Fold: func(x logical.Expr) (*logical.Literal, error) { return expr.Fold(ectx, x) }}
	plan, err := rules.Optimize(q.Plan, rctx)
	if err != nil {
		return nil, fmt.Errorf("optimizing: %w", err)
	}
	return plan, nil
}

// execute plans and runs an optimized plan, returning the planner so
// EXPLAIN ANALYZE can read the stages' statistics.
func (e *Engine) execute(ctx context.Context, plan logical.Node, ectx *expr.Context, emit func(arrow.RecordBatch) error) (*physical.Planner, error) {
	pl := physical.New(ectx, func(ctx context.Context, sub logical.Node) (any, error) {
		return e.scalar(ctx, sub, ectx)
	})
	pl.Parallelism = e.parallelism
	root, err := pl.Build(ctx, plan)
	if err != nil {
		return nil, err
	}
	return pl, exec.RunBatch(ctx, root, e.mem, emit)
}

// scalar runs an uncorrelated scalar subquery: its single value, or nil.
func (e *Engine) scalar(ctx context.Context, sub logical.Node, ectx *expr.Context) (any, error) {
	var val any
	rows := int64(0)
	_, err := e.execute(ctx, sub, ectx, func(b arrow.RecordBatch) error {
		defer b.Release()
		if b.NumRows() == 0 {
			return nil
		}
		rows += b.NumRows()
		if rows > 1 {
			return errors.New("more than one row returned by a subquery used as an expression")
		}
		val = expr.ScalarValue(b.Column(0), 0)
		return nil
	})
	return val, err
}

// collect runs a bound query into a new memory table.
func (e *Engine) collect(ctx context.Context, q *bind.Query, ectx *expr.Context) (*catalog.MemTable, error) {
	plan, err := e.optimize(q, ectx)
	if err != nil {
		return nil, err
	}
	t := catalog.NewMemTable(physical.Schema(renamed(plan.Schema(), q.Names)))
	_, err = e.execute(ctx, plan, ectx, func(b arrow.RecordBatch) error {
		defer b.Release()
		return t.Append(b)
	})
	if err != nil {
		t.Release()
		return nil, err
	}
	return t, nil
}

func (e *Engine) createTable(ctx context.Context, b *bind.CreateTable, ectx *expr.Context) error {
	name := strings.Join(b.Name, ".")
	if _, _, err := e.cat.Lookup(b.Name); err == nil {
		if b.IfNotExists {
			return nil
		}
		return fmt.Errorf("creating table: relation %q already exists", name)
	}
	var t catalog.Table
	switch conn := b.Options["connector"]; {
	case conn != "":
		var err error
		if t, err = catalog.OpenConnector(conn, b.Options, b.Schema); err != nil {
			return fmt.Errorf("creating table %s: %w", name, err)
		}
		if t, err = asStream(t, b); err != nil {
			catalog.ReleaseTable(t)
			return fmt.Errorf("creating table %s: %w", name, err)
		}
	case b.As != nil:
		mt, err := e.collect(ctx, b.As, ectx)
		if err != nil {
			return err
		}
		t = mt
	case b.Schema != nil:
		t = catalog.NewMemTable(b.Schema)
	default:
		return fmt.Errorf("creating table %s: no columns, no connector and no AS query", name)
	}
	e.cat.Put(name, t)
	return nil
}

// insert appends a query's rows to a memory table, casting each column to
// the target's type and filling unnamed columns with NULL.
func (e *Engine) insert(ctx context.Context, b *bind.Insert, ectx *expr.Context) (int64, error) {
	tbl, _, err := e.cat.Lookup(b.Table)
	if err != nil {
		// Bound a moment ago: a concurrent DROP removed it.
		return 0, fmt.Errorf("inserting: table %q does not exist (dropped meanwhile)", strings.Join(b.Table, "."))
	}
	mt, ok := tbl.(*catalog.MemTable)
	if !ok {
		return 0, fmt.Errorf("inserting into %s: only tables created without a connector accept INSERT", strings.Join(b.Table, "."))
	}
	schema := mt.Schema()
	targets := make([]int, len(b.Query.Names))
	if len(b.Columns) == 0 {
		// As in Postgres, values fill the leading columns; the rest are NULL.
		if len(targets) > schema.NumFields() {
			return 0, fmt.Errorf("inserting into %s: INSERT has more expressions (%d) than target columns (%d)", strings.Join(b.Table, "."), len(targets), schema.NumFields())
		}
		for i := range targets {
			targets[i] = i
		}
	} else {
		if len(b.Columns) != len(targets) {
			return 0, fmt.Errorf("inserting into %s: %d columns named, query has %d", strings.Join(b.Table, "."), len(b.Columns), len(targets))
		}
		for i, c := range b.Columns {
			idx := schema.FieldIndices(c)
			if len(idx) == 0 {
				return 0, fmt.Errorf("inserting into %s: no column %q", strings.Join(b.Table, "."), c)
			}
			targets[i] = idx[0]
		}
	}
	in := b.Query.Plan.Schema()
	exprs := make([]logical.Expr, schema.NumFields())
	cols := make([]logical.Column, schema.NumFields())
	for i, f := range schema.Fields() {
		t, err := types.FromArrow(f.Type)
		if err != nil {
			return 0, err
		}
		exprs[i] = &logical.Literal{T: t}
		cols[i] = logical.Column{ID: b.Query.Gen.Next(), Name: f.Name, Type: t, Nullable: true}
	}
	for i, tgt := range targets {
		var x logical.Expr = &logical.ColumnRef{ID: in[i].ID, Name: in[i].Name, T: in[i].Type}
		if in[i].Type != cols[tgt].Type {
			if !types.CanImplicitCast(in[i].Type, cols[tgt].Type) && !(in[i].Type.IsString() || cols[tgt].Type.IsString()) {
				return 0, fmt.Errorf("inserting into %s: column %s is %s but the query gives %s", strings.Join(b.Table, "."), cols[tgt].Name, cols[tgt].Type, in[i].Type)
			}
			x = &logical.Cast{X: x, To: cols[tgt].Type}
		}
		exprs[tgt] = x
	}
	q := &bind.Query{Plan: &logical.Project{Input: b.Query.Plan, Exprs: exprs, Cols: cols}, Names: fieldNames(schema), Gen: b.Query.Gen}
	tmp, err := e.collect(ctx, q, ectx)
	if err != nil {
		return 0, err
	}
	defer tmp.Release()
	// The rows are computed: from here on the statement completes whatever
	// happens to ctx, so an INSERT is never left half done nor reported
	// done when it is not.
	ctx = context.WithoutCancel(ctx)
	r, err := tmp.Scan(ctx, catalog.ScanRequest{Columns: seq(schema.NumFields()), Limit: -1})
	if err != nil {
		return 0, err
	}
	defer r.Close()
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	for {
		batch, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("inserting into %s: %w", strings.Join(b.Table, "."), err)
		}
		// Re-label with the target schema (names and nullability).
		nb, err := operators.RelabelBatch(schema, batch)
		batch.Release()
		if err != nil {
			return 0, fmt.Errorf("inserting into %s: %w", strings.Join(b.Table, "."), err)
		}
		batches = append(batches, nb)
	}
	var n int64
	for _, nb := range batches {
		if err := mt.Append(nb); err != nil {
			return n, err
		}
		n += nb.NumRows()
	}
	return n, nil
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// explain answers EXPLAIN [ANALYZE] with one VARCHAR column "plan", one
// row per line of the tree.
func (e *Engine) explain(ctx context.Context, b *bind.Explain, ectx *expr.Context, header headerFunc, emit func(arrow.RecordBatch) error) error {
	q, ok := b.Inner.(*bind.Query)
	if !ok {
		return fmt.Errorf("explaining %T: only queries can be explained", b.Inner)
	}
	plan, err := e.optimize(q, ectx)
	if err != nil {
		return err
	}
	text := explain.Tree(plan)
	if b.Analyze {
		pl, err := e.execute(ctx, plan, ectx, func(b arrow.RecordBatch) error { b.Release(); return nil })
		if err != nil {
			return err
		}
		text = explain.Annotated(plan, func(n logical.Node) string { return stageStats(pl.ByNode[n]) })
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "plan", Type: arrow.BinaryTypes.String}}, nil)
	header([]string{"plan"}, schema)
	sb := array.NewStringBuilder(e.mem)
	defer sb.Release()
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	sb.AppendValues(lines, nil)
	col := sb.NewArray()
	defer col.Release()
	return emit(array.NewRecordBatch(schema, []arrow.Array{col}, int64(len(lines))))
}

// stageStats sums the statistics of a node's stages (one per parallel
// partition).
func stageStats(stages []*operators.Stage) string {
	if len(stages) == 0 {
		return ""
	}
	var sum operators.StageStats
	sum.Extra = map[string]int64{}
	for _, s := range stages {
		sum.Rows += s.Stats.Rows
		sum.Batches += s.Stats.Batches
		sum.Time += s.Stats.Time
		for k, v := range s.Stats.Extra {
			sum.Extra[k] += v
		}
	}
	out := fmt.Sprintf("rows=%d batches=%d time=%s", sum.Rows, sum.Batches, sum.Time.Round(1000))
	if len(stages) > 1 {
		out += fmt.Sprintf(" partitions=%d", len(stages))
	}
	for _, k := range sortedKeys(sum.Extra) {
		out += fmt.Sprintf(" %s=%d", k, sum.Extra[k])
	}
	return out
}

func fieldNames(s *arrow.Schema) []string {
	names := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
	}
	return names
}
