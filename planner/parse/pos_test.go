package parse

import "testing"

func pos(line, col, off int) Pos { return Pos{Line: line, Col: col, Offset: off} }

func TestPositions(t *testing.T) {
	src := "SELECT a,\n" + // line 1, offsets 0-9
		"  \tb + \"é\".c AS x\n" + // line 2, offsets 10-28 (é is 2 bytes)
		"FROM t JOIN u ON t.k = u.k\n" + // line 3, offsets 29-55; line 4 starts at 56
		"WHERE x BETWEEN 1 AND 2 AND y::int NOT IN (1) AND z IS NULL"
	q := mustOne(t, src).(*Query)
	sel := q.Body.(*Select)
	item := sel.Items[1]
	bin := item.Expr.(*Binary)
	join := sel.From[0].(*Join)
	where := sel.Where.(*Binary) // (… AND …) AND z IS NULL
	left := where.L.(*Binary)
	between := left.L.(*Between)
	in := left.R.(*InList)
	cast := in.X.(*Cast)
	is := where.R.(*Is)

	checks := []struct {
		what string
		got  Pos
		want Pos
	}{
		{"query", q.Pos, pos(1, 1, 0)},
		{"select", sel.Pos, pos(1, 1, 0)},
		{"first item", sel.Items[0].Pos, pos(1, 8, 7)},
		{"second item starts at b", item.Pos, pos(2, 4, 13)},
		{"binary + is at the operator", bin.Pos, pos(2, 6, 15)},
		{"left ident", bin.L.Position(), pos(2, 4, 13)},
		{"qualified ident at first part", bin.R.Position(), pos(2, 8, 17)},
		{"table", join.Left.Position(), pos(3, 6, 34)},
		{"join keyword", join.Pos, pos(3, 8, 36)},
		{"join condition operator", join.On.Position(), pos(3, 22, 50)},
		{"BETWEEN", between.Pos, pos(4, 9, 64)},
		{"AND", left.Pos, pos(4, 25, 80)},
		{"NOT IN at NOT", in.Pos, pos(4, 36, 91)},
		{"cast at ::", cast.Pos, pos(4, 30, 85)},
		{"IS", is.Pos, pos(4, 53, 108)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.what, c.got, c.want)
		}
	}
}

func TestPositionsMultiStatement(t *testing.T) {
	stmts, err := Parse("SELECT 1;\n\n  CREATE TABLE t (\n    a INT,\n    WATERMARK FOR a AS a\n  ) WITH (k = 'v');\nINSERT INTO t VALUES (f(1))")
	if err != nil {
		t.Fatal(err)
	}
	ct := stmts[1].(*CreateTable)
	ins := stmts[2].(*Insert)
	call := ins.Query.Body.(*Values).Rows[0][0].(*FuncCall)
	checks := []struct {
		what string
		got  Pos
		want Pos
	}{
		{"create", ct.Pos, pos(3, 3, 13)},
		{"column", ct.Columns[0].Pos, pos(4, 5, 34)},
		{"watermark", ct.Watermark.Pos, pos(5, 5, 45)},
		{"watermark expr", ct.Watermark.Expr.Position(), pos(5, 24, 64)},
		{"option", ct.With[0].Pos, pos(6, 11, 76)},
		{"insert", ins.Pos, pos(7, 1, 86)},
		{"values", ins.Query.Body.Position(), pos(7, 15, 100)},
		{"call at name", call.Pos, pos(7, 23, 108)},
		{"call argument", call.Args[0].Position(), pos(7, 25, 110)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.what, c.got, c.want)
		}
	}
}

// Binder errors built with NewError from a node position point at the node.
func TestNewErrorFromNode(t *testing.T) {
	src := "SELECT a\nFROM t\nWHERE b + 'x' > 1"
	q := mustOne(t, src).(*Query)
	plus := q.Body.(*Select).Where.(*Binary).L
	err := NewError(src, plus.Position(), "operator does not exist: %s + %s", "BIGINT", "VARCHAR")
	want := "line 3, column 9: operator does not exist: BIGINT + VARCHAR\nWHERE b + 'x' > 1\n        ^"
	if err.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", err.Error(), want)
	}
}
