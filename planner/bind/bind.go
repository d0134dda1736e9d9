// Package bind turns parsed statements into bound logical plans: it resolves
// table and column names against a catalog, types every expression through
// planner/functions, and builds planner/logical nodes. Every error is a
// *parse.Error positioned at the offending node, so it renders with a caret
// under the source text.
package bind

import (
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/parse"
	"github.com/streamsql/streamsql/planner/types"
)

// Catalog resolves table and view names. *catalog.Memory satisfies it. A
// catalog that also has a `Names() []string` method gets "did you mean"
// suggestions for misspelt table names.
type Catalog interface {
	Lookup(name []string) (catalog.Table, *catalog.View, error)
}

// Options configure one Bind call.
type Options struct {
	// Params are the values of $1..$n: nil, bool, int64 (also int, int32),
	// float64 (also float32), string. A string parameter behaves like a
	// string literal (it coerces to TIMESTAMP, numbers, … when compared
	// with such a value).
	Params []any
	// Streaming binds for the streaming runtime (streamsql run): window
	// functions (TUMBLE, HOP, SESSION) and EMIT clauses are allowed, and
	// tables wrapped as catalog.StreamTable carry their event time.
	Streaming bool
	// Fold evaluates a constant expression to a literal (the engine passes
	// operators/expr.Fold): what FOR SYSTEM_TIME AS OF needs at bind
	// time. Nil: time travel is not available.
	Fold func(e logical.Expr) (*logical.Literal, error)
}

// Bound is the result of binding one statement: one of *Query,
// *CreateTable, *CreateView, *Drop, *Insert or *Explain.
type Bound interface{ bound() }

// Query is a bound SELECT / VALUES / set operation.
type Query struct {
	Plan  logical.Node
	Names []string // output column names, in order (len == len(Plan.Schema()))
	Gen   *logical.IDGen
	// Emit is the EMIT clause of a streaming query (nil: the default, ON
	// WINDOW CLOSE).
	Emit *Emit
}

// Emit is a bound EMIT clause.
type Emit struct {
	Changes bool
	Every   int64 // µs between emissions of EMIT CHANGES EVERY; 0 for every batch
}

// WatermarkDef is a bound `WATERMARK FOR col AS expr`. Expr is a TIMESTAMP
// expression whose ColumnRefs use id 1+i for the i-th column of the
// table's schema.
type WatermarkDef struct {
	Column string
	Expr   logical.Expr
}

// CreateTable is a bound CREATE TABLE.
type CreateTable struct {
	Name        []string
	Schema      *arrow.Schema // nil when no columns were declared (and no AS query)
	Options     map[string]string
	IfNotExists bool
	Watermark   *WatermarkDef // nil when absent
	As          *Query        // CREATE TABLE … AS query; nil when absent
}

// CreateView is a bound CREATE VIEW; the query is validated but stored as
// text.
type CreateView struct {
	Name      string // dotted name
	SQL       string // the view's query text, as written
	Columns   []string
	OrReplace bool
}

// Drop is DROP TABLE|VIEW.
type Drop struct {
	What     string // "TABLE" or "VIEW"
	Name     []string
	IfExists bool
}

// Insert is INSERT INTO table [(cols)] query. Query's output columns are
// already cast to the target columns' types, in Columns order (or the
// table's first len(Names) columns when Columns is nil).
type Insert struct {
	Table   []string
	Columns []string // as written; nil when omitted
	Query   *Query
}

// Explain is EXPLAIN [ANALYZE] statement.
type Explain struct {
	Analyze bool
	Inner   Bound
}

func (*Query) bound()       {}
func (*CreateTable) bound() {}
func (*CreateView) bound()  {}
func (*Drop) bound()        {}
func (*Insert) bound()      {}
func (*Explain) bound()     {}

// Bind binds one parsed statement. src is the SQL text the statement's
// positions refer to; it is quoted in error messages.
func Bind(stmt parse.Statement, src string, cat Catalog, opts Options) (Bound, error) {
	b := newBinder(src, cat, opts)
	return b.statement(stmt)
}

// binder holds the state of one Bind call.
type binder struct {
	src  string
	cat  Catalog
	opts Options
	gen  *logical.IDGen
	// refs records where each bound column reference was written, for
	// errors found after binding (GROUP BY checks).
	refs map[*logical.ColumnRef]refInfo
	// untyped marks string literals (and string parameters) that may still
	// take the type of what they are compared with.
	untyped map[*logical.Literal]parse.Pos
	// nullable records columns that may hold NULLs.
	nullable map[logical.ColumnID]bool
	// views are the views being expanded, innermost last.
	views []string
	// hint gives the column types INSERT … VALUES writes to, so untyped
	// literals of that VALUES list take them directly (as in Postgres).
	hint *valuesHint
	// windowCols maps the window_start/window_end columns of streaming
	// table functions to the window keys they stand for in GROUP BY.
	windowCols map[logical.ColumnID]*logical.Call
	// timeCols are the event-time columns of stream scans.
	timeCols map[logical.ColumnID]bool
	// wins are the window functions of the SELECT list being bound.
	wins []*logical.RowNumber
	// emit is the EMIT clause of the statement's query (streaming).
	emit *Emit
}

type valuesHint struct {
	values *parse.Values
	types  []types.Type
}

type refInfo struct {
	pos  parse.Pos
	name string
}

func newBinder(src string, cat Catalog, opts Options) *binder {
	return &binder{
		src:        src,
		cat:        cat,
		opts:       opts,
		gen:        &logical.IDGen{},
		refs:       map[*logical.ColumnRef]refInfo{},
		untyped:    map[*logical.Literal]parse.Pos{},
		nullable:   map[logical.ColumnID]bool{},
		windowCols: map[logical.ColumnID]*logical.Call{},
		timeCols:   map[logical.ColumnID]bool{},
	}
}

// errf builds a positioned error at n.
func (b *binder) errf(n parse.Node, format string, args ...any) error {
	return parse.NewError(b.src, n.Position(), format, args...)
}

// errAt builds a positioned error at pos.
func (b *binder) errAt(pos parse.Pos, format string, args ...any) error {
	return parse.NewError(b.src, pos, format, args...)
}

func (b *binder) statement(stmt parse.Statement) (Bound, error) {
	switch s := stmt.(type) {
	case *parse.Query:
		return b.topQuery(s)
	case *parse.CreateTable:
		return b.createTable(s)
	case *parse.CreateView:
		return b.createView(s)
	case *parse.Drop:
		return b.drop(s)
	case *parse.Insert:
		return b.insert(s)
	case *parse.Explain:
		if s.Stmt == nil {
			return nil, b.errf(s, "EXPLAIN needs a statement")
		}
		if _, ok := s.Stmt.(*parse.Query); !ok {
			return nil, b.errf(s.Stmt, "only a query (SELECT, VALUES or WITH) can be explained")
		}
		inner, err := b.statement(s.Stmt)
		if err != nil {
			return nil, err
		}
		return &Explain{Analyze: s.Analyze, Inner: inner}, nil
	case nil:
		return nil, errors.New("binding: no statement")
	}
	return nil, b.errf(stmt, "unsupported statement %T", stmt)
}

// topQuery binds a query with a fresh id generator.
func (b *binder) topQuery(q *parse.Query) (*Query, error) {
	b.gen = &logical.IDGen{}
	r, err := b.query(q, nil, nil)
	if err != nil {
		return nil, err
	}
	return &Query{Plan: r.node, Names: r.names, Gen: b.gen, Emit: b.emit}, nil
}

func (b *binder) drop(s *parse.Drop) (Bound, error) {
	what := strings.ToUpper(s.What)
	if what != "TABLE" && what != "VIEW" {
		return nil, b.errf(s, "cannot DROP %s", s.What)
	}
	if len(s.Name) == 0 {
		return nil, b.errf(s, "DROP %s needs a name", what)
	}
	return &Drop{What: what, Name: s.Name, IfExists: s.IfExists}, nil
}

func (b *binder) createView(s *parse.CreateView) (Bound, error) {
	if s.Query == nil || len(s.Name) == 0 {
		return nil, b.errf(s, "CREATE VIEW needs a name and a query")
	}
	q, err := b.topQuery(s.Query)
	if err != nil {
		return nil, err
	}
	if len(s.Columns) > len(q.Names) {
		return nil, b.errf(s, "CREATE VIEW specifies more column names than columns")
	}
	if err := checkUnique(s.Columns); err != "" {
		return nil, b.errf(s, "column %q specified more than once", err)
	}
	text, ok := sliceQuery(b.src, s.Query.Pos.Offset)
	if !ok {
		return nil, b.errf(s.Query, "cannot find the text of the view's query")
	}
	return &CreateView{Name: strings.Join(s.Name, "."), SQL: text, Columns: s.Columns, OrReplace: s.OrReplace}, nil
}

// checkUnique returns the first name that occurs twice (case-insensitive),
// or "".
func checkUnique(names []string) string {
	seen := map[string]bool{}
	for _, n := range names {
		k := strings.ToLower(n)
		if seen[k] {
			return n
		}
		seen[k] = true
	}
	return ""
}

// sliceQuery returns the statement text starting at offset up to the end of
// the statement: the first ';' outside quotes, comments and parentheses, a
// ')' closing a parenthesis opened before offset, or the end of src.
// Comments and space after the last token are left out. The scan follows
// planner/parse's lexer: '…' and "…" with doubled quotes, -- line comments
// and nesting /* */ comments.
func sliceQuery(src string, offset int) (string, bool) {
	if offset < 0 || offset >= len(src) {
		return "", false
	}
	s := src[offset:]
	depth, last := 0, 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(s) {
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c {
						j += 2
						continue
					}
					j++
					break
				}
				j++
			}
			i, last = j, j
			continue
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
			continue
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			i += 2
			for nest := 1; nest > 0 && i < len(s); {
				switch {
				case strings.HasPrefix(s[i:], "/*"):
					nest++
					i += 2
				case strings.HasPrefix(s[i:], "*/"):
					nest--
					i += 2
				default:
					i++
				}
			}
			continue
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return strings.TrimSpace(s[:last]), last > 0
			}
		case c == ';' && depth == 0:
			return strings.TrimSpace(s[:last]), last > 0
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' {
			last = i + 1
		}
		i++
	}
	return strings.TrimSpace(s[:last]), last > 0
}

func (b *binder) insert(s *parse.Insert) (Bound, error) {
	if s.Query == nil || len(s.Table) == 0 {
		return nil, b.errf(s, "INSERT needs a table and a query")
	}
	if err := checkUnique(s.Columns); err != "" {
		return nil, b.errf(s, "column %q specified more than once", err)
	}
	tab, view, err := b.lookup(s.Table)
	if err != nil {
		return nil, b.tableError(s, s.Table, err, nil)
	}
	if view != nil {
		return nil, b.errf(s, "cannot insert into view %q", strings.Join(s.Table, "."))
	}
	schema := tab.Schema()
	if schema == nil {
		return nil, b.errf(s, "table %q has no schema", strings.Join(s.Table, "."))
	}
	var targets []targetCol
	if s.Columns == nil {
		for _, f := range schema.Fields() {
			targets = append(targets, targetCol{name: f.Name, dt: f.Type})
		}
	} else {
		for _, c := range s.Columns {
			idx := fieldIndex(schema, c)
			if idx < 0 {
				return nil, b.errf(s, "column %q of table %q does not exist%s", c, strings.Join(s.Table, "."),
					suggest(c, fieldNames(schema)))
			}
			f := schema.Field(idx)
			targets = append(targets, targetCol{name: f.Name, dt: f.Type})
		}
	}
	if v, ok := s.Query.Body.(*parse.Values); ok {
		h := &valuesHint{values: v}
		for _, tc := range targets {
			t, err := types.FromArrow(tc.dt)
			if err != nil {
				t = types.NullType
			}
			h.types = append(h.types, t)
		}
		b.hint = h
	}
	q, err := b.topQuery(s.Query)
	b.hint = nil
	if err != nil {
		return nil, err
	}
	switch {
	case len(q.Names) > len(targets):
		return nil, b.errf(s.Query, "INSERT has more expressions than target columns")
	case s.Columns != nil && len(q.Names) < len(targets):
		return nil, b.errf(s.Query, "INSERT has more target columns than expressions")
	}
	plan, err := b.castToTargets(q.Plan, targets[:len(q.Names)])
	if err != nil {
		return nil, b.errf(s.Query, "%v", err)
	}
	names := make([]string, len(q.Names))
	for i := range names {
		names[i] = targets[i].name
	}
	return &Insert{Table: s.Table, Columns: s.Columns, Query: &Query{Plan: plan, Names: names, Gen: q.Gen, Emit: q.Emit}}, nil
}

// lookup asks the catalog for a table or view.
func (b *binder) lookup(name []string) (catalog.Table, *catalog.View, error) {
	if b.cat == nil {
		return nil, nil, fmt.Errorf("looking up %s: no catalog: %w", strings.Join(name, "."), catalog.ErrNotFound)
	}
	t, v, err := b.cat.Lookup(name)
	if err != nil {
		return nil, nil, err
	}
	if t == nil && v == nil {
		return nil, nil, fmt.Errorf("looking up %s: %w", strings.Join(name, "."), catalog.ErrNotFound)
	}
	return t, v, nil
}

// tableError turns a catalog lookup failure into a positioned error; extra
// lists further names (CTEs) to suggest.
func (b *binder) tableError(n parse.Node, name []string, err error, extra []string) error {
	full := strings.Join(name, ".")
	if errors.Is(err, catalog.ErrNotFound) {
		cands := append([]string(nil), extra...)
		if nm, ok := b.cat.(interface{ Names() []string }); ok && b.cat != nil {
			cands = append(cands, nm.Names()...)
		}
		return b.errf(n, "table %q does not exist%s", full, suggest(name[len(name)-1], cands))
	}
	return b.errf(n, "looking up table %q: %v", full, err)
}

// fieldIndex finds a column of schema by name: exactly, or else
// case-insensitively; -1 when absent.
func fieldIndex(schema *arrow.Schema, name string) int {
	for i, f := range schema.Fields() {
		if f.Name == name {
			return i
		}
	}
	for i, f := range schema.Fields() {
		if strings.EqualFold(f.Name, name) {
			return i
		}
	}
	return -1
}

func fieldNames(schema *arrow.Schema) []string {
	out := make([]string, schema.NumFields())
	for i, f := range schema.Fields() {
		out[i] = f.Name
	}
	return out
}
