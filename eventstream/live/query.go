package live

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/bind"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/parse"
)

// ErrNotAQuery is returned (wrapped) for statements other than a SELECT,
// VALUES or WITH query: a live query never changes the catalog.
var ErrNotAQuery = errors.New("a live query must be a SELECT or WITH query")

// notAQueryError is the positioned error for a statement that is not a
// query; it matches both *parse.Error and ErrNotAQuery.
type notAQueryError struct{ at *parse.Error }

func (e *notAQueryError) Error() string   { return e.at.Error() }
func (e *notAQueryError) Unwrap() []error { return []error{e.at, ErrNotAQuery} }

// query is a validated live query.
type query struct {
	// key is the canonical SQL with the parameters inlined: what
	// subscribers share a job by.
	key string
	// text is what the job runs: the caller's SQL when it has no
	// parameters (so planning errors point into it), else the key.
	text string
	// tables the query reads, sorted, as the catalog names them.
	tables []string
	// changes is true for EMIT CHANGES queries.
	changes bool
}

// prepare parses and binds sql against cat, so errors carry the position
// in the caller's text, and returns the query's shared form.
func prepare(cat bind.Catalog, sql string, params []any) (*query, error) {
	st, err := parse.ParseOne(sql)
	if err != nil {
		return nil, err
	}
	q, ok := st.(*parse.Query)
	if !ok {
		return nil, &notAQueryError{parse.NewError(sql, st.Position(), "%s", ErrNotAQuery)}
	}
	b, err := bind.Bind(q, sql, cat, bind.Options{Streaming: true, Params: params})
	if err != nil {
		return nil, err
	}
	bq, ok := b.(*bind.Query)
	if !ok {
		return nil, &notAQueryError{parse.NewError(sql, st.Position(), "%s", ErrNotAQuery)}
	}
	if err := inlineParams(q, params); err != nil {
		return nil, err
	}
	out := &query{key: parse.Format(q), text: sql, tables: scannedTables(bq.Plan)}
	if len(params) > 0 {
		out.text = out.key
	}
	if bq.Emit != nil {
		out.changes = bq.Emit.Changes
	}
	return out, nil
}

// inlineParams replaces every $n of q by its value as a literal: the job
// runs the statement as text (StartJob takes no parameters), and equal
// values give equal keys. Binding has already checked every $n has a
// value of a supported type.
func inlineParams(q *parse.Query, params []any) error {
	var err error
	replaceExprs(q, func(e parse.Expr) parse.Expr {
		p, ok := e.(*parse.Param)
		if !ok || err != nil {
			return e
		}
		if p.Index < 1 || p.Index > len(params) {
			err = fmt.Errorf("inlining parameters: no value for $%d", p.Index)
			return e
		}
		var lit parse.Expr
		lit, err = literal(p.Pos, params[p.Index-1])
		if err != nil {
			err = fmt.Errorf("inlining parameter $%d: %w", p.Index, err)
			return e
		}
		return lit
	})
	return err
}

// literal renders a parameter value as the expression the binder gives
// the same type and value as the parameter itself.
func literal(pos parse.Pos, v any) (parse.Expr, error) {
	num := func(raw string) parse.Expr { return &parse.Literal{Pos: pos, Kind: parse.NumberLit, Raw: raw} }
	signed := func(n int64) parse.Expr {
		if n < 0 { // the lexer reads "-5" as minus applied to 5
			return &parse.Unary{Pos: pos, Op: "-", X: num(strconv.FormatUint(uint64(-(n+1))+1, 10))}
		}
		return num(strconv.FormatInt(n, 10))
	}
	switch x := v.(type) {
	case nil:
		return &parse.Literal{Pos: pos, Kind: parse.NullLit, Raw: "NULL"}, nil
	case bool:
		return &parse.Literal{Pos: pos, Kind: parse.BoolLit, Raw: strconv.FormatBool(x)}, nil
	case int:
		return &parse.Cast{Pos: pos, X: signed(int64(x)), TypeName: "BIGINT"}, nil
	case int64:
		return &parse.Cast{Pos: pos, X: signed(x), TypeName: "BIGINT"}, nil
	case int32:
		return &parse.Cast{Pos: pos, X: signed(int64(x)), TypeName: "INTEGER"}, nil
	case float32:
		return floatLiteral(pos, float64(x)), nil
	case float64:
		return floatLiteral(pos, x), nil
	case string:
		return &parse.Literal{Pos: pos, Kind: parse.StringLit, Raw: x}, nil
	}
	return nil, fmt.Errorf("unsupported value of type %T", v)
}

// floatLiteral is CAST('…' AS DOUBLE): the text form round-trips every
// float64, NaN and infinities included.
func floatLiteral(pos parse.Pos, f float64) parse.Expr {
	raw := strconv.FormatFloat(f, 'g', -1, 64)
	switch {
	case math.IsNaN(f):
		raw = "NaN"
	case math.IsInf(f, 1):
		raw = "Infinity"
	case math.IsInf(f, -1):
		raw = "-Infinity"
	}
	return &parse.Cast{Pos: pos, X: &parse.Literal{Pos: pos, Kind: parse.StringLit, Raw: raw}, TypeName: "DOUBLE"}
}

// scannedTables lists the tables a bound plan scans, subqueries included.
func scannedTables(plan logical.Node) []string {
	seen := map[string]bool{}
	findScans(plan, func(s *logical.Scan) { seen[s.Name] = true })
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

var _ bind.Catalog = (*catalog.Memory)(nil)
