package bind

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/parse"
	"github.com/streamsql/streamsql/planner/types"
)

// createTable binds CREATE TABLE: the declared columns become an Arrow
// schema in streamsql's native types, the watermark is bound over them and
// an AS query is bound (and cast to the declared types, if any).
func (b *binder) createTable(s *parse.CreateTable) (Bound, error) {
	if len(s.Name) == 0 {
		return nil, b.errf(s, "CREATE TABLE needs a name")
	}
	out := &CreateTable{Name: s.Name, IfNotExists: s.IfNotExists, Options: map[string]string{}}
	for _, o := range s.With {
		k := strings.ToLower(o.Key)
		if _, dup := out.Options[k]; dup {
			return nil, b.errf(o, "option %q specified more than once", k)
		}
		out.Options[k] = o.Value
	}
	seen := map[string]bool{}
	var fields []arrow.Field
	typed := false
	for _, c := range s.Columns {
		if seen[strings.ToLower(c.Name)] {
			return nil, b.errf(c, "column %q specified more than once", c.Name)
		}
		seen[strings.ToLower(c.Name)] = true
		f := arrow.Field{Name: c.Name, Nullable: !c.NotNull, Type: arrow.Null}
		if c.TypeName != "" {
			t, err := b.typeName(c, c.TypeName)
			if err != nil {
				return nil, err
			}
			f.Type = t.ArrowType()
			typed = true
		} else if s.As == nil {
			return nil, b.errf(c, "column %q needs a type", c.Name)
		}
		fields = append(fields, f)
	}
	if s.As != nil {
		q, err := b.topQuery(s.As)
		if err != nil {
			return nil, err
		}
		if len(fields) > len(q.Names) {
			return nil, b.errf(s, "CREATE TABLE AS specifies too many column names")
		}
		cols := q.Plan.Schema()
		for i := len(fields); i < len(cols); i++ {
			fields = append(fields, arrow.Field{Name: q.Names[i], Nullable: cols[i].Nullable})
		}
		targets := make([]targetCol, len(cols))
		for i, c := range cols {
			if fields[i].Type == nil || fields[i].Type.ID() == arrow.NULL {
				t := c.Type
				if t.Kind == types.Null {
					t = types.VarcharType
				}
				fields[i].Type = t.ArrowType()
			}
			targets[i] = targetCol{name: fields[i].Name, dt: fields[i].Type}
		}
		if typed || len(s.Columns) > 0 {
			plan, err := b.castToTargets(q.Plan, targets)
			if err != nil {
				return nil, b.errf(s.As, "%v", err)
			}
			q.Plan = plan
			for i := range q.Names {
				q.Names[i] = fields[i].Name
			}
		}
		out.As = q
	}
	if len(fields) > 0 {
		out.Schema = arrow.NewSchema(fields, nil)
	}
	if s.Watermark != nil {
		wm, err := b.watermark(s.Watermark, fields)
		if err != nil {
			return nil, err
		}
		out.Watermark = wm
	}
	return out, nil
}

// watermark binds WATERMARK FOR col AS expr over the table's columns,
// which get ids 1..n in schema order.
func (b *binder) watermark(w *parse.Watermark, fields []arrow.Field) (*WatermarkDef, error) {
	if len(fields) == 0 {
		return b.undeclaredWatermark(w)
	}
	gen := &logical.IDGen{}
	sc := &scope{}
	for _, f := range fields {
		t, err := types.FromArrow(f.Type)
		if err != nil {
			return nil, b.errf(w, "column %q: %v", f.Name, err)
		}
		col := logical.Column{ID: gen.Next(), Name: f.Name, Type: t, Nullable: f.Nullable}
		sc.vis = append(sc.vis, col)
	}
	sc.rels = []*relation{{cols: sc.vis}}
	col, err := b.resolve(sc, &parse.Ident{Pos: w.Pos, Parts: []string{w.Column}})
	if err != nil {
		return nil, err
	}
	if col.Type != types.TimestampType {
		return nil, b.errf(w, "watermark column %q must be TIMESTAMP, not %s", col.Name, col.Type)
	}
	if w.Expr == nil {
		return &WatermarkDef{Column: col.Name, Expr: colRef(col)}, nil
	}
	saved := b.gen
	b.gen = gen
	defer func() { b.gen = saved }()
	e, err := b.expr(&ectx{sc: sc, clause: "WATERMARK"}, w.Expr)
	if err != nil {
		return nil, err
	}
	if e.Type() != types.TimestampType {
		return nil, b.errf(w.Expr, "watermark expression must be of type TIMESTAMP, not %s", e.Type())
	}
	return &WatermarkDef{Column: col.Name, Expr: e}, nil
}

// undeclaredWatermark binds WATERMARK FOR col [AS col - INTERVAL …] of a
// table whose columns come from its connector (nexmark, an inferred
// file): the column is checked when the table is opened (it must exist and
// be TIMESTAMP), so only the delay form is checked here.
func (b *binder) undeclaredWatermark(w *parse.Watermark) (*WatermarkDef, error) {
	col := &logical.ColumnRef{ID: 1, Name: w.Column, T: types.TimestampType}
	if w.Expr == nil {
		return &WatermarkDef{Column: w.Column, Expr: col}, nil
	}
	bin, ok := w.Expr.(*parse.Binary)
	if ok && (bin.Op == "-" || bin.Op == "+") {
		if id, isIdent := bin.L.(*parse.Ident); isIdent && len(id.Parts) == 1 && strings.EqualFold(id.Parts[0], w.Column) {
			d, err := b.expr(&ectx{sc: &scope{}, clause: "WATERMARK"}, bin.R)
			if err != nil {
				return nil, err
			}
			if d.Type() == types.IntervalType {
				return &WatermarkDef{Column: w.Column, Expr: &logical.Call{Func: bin.Op, Args: []logical.Expr{col, d}, T: types.TimestampType}}, nil
			}
		}
	}
	return nil, b.errf(w.Expr, "WATERMARK FOR %s of a table without declared columns must be %s or %s - INTERVAL '…'", w.Column, w.Column, w.Column)
}
