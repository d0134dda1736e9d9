package rules

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/planner/logical"
)

// A tiny row-at-a-time reference interpreter for logical plans over BIGINT,
// VARCHAR and BOOLEAN values (nil is NULL), used to check that rules keep
// results. Scan hints (Filters, Limit) are ignored, as a table may.

type relation struct {
	cols []logical.Column
	rows [][]any
}

type interp struct{ t *testing.T }

func (in interp) run(n logical.Node) relation {
	t := in.t
	t.Helper()
	switch x := n.(type) {
	case *logical.Scan:
		ft := x.Table.(*fakeTable)
		var rows [][]any
		for _, r := range ft.rows {
			row := make([]any, len(x.Ordinals))
			for i, o := range x.Ordinals {
				row[i] = r[o]
			}
			rows = append(rows, row)
		}
		return relation{x.Cols, rows}
	case *logical.Values:
		var rows [][]any
		for _, r := range x.Rows {
			row := make([]any, len(r))
			for i, e := range r {
				row[i] = in.eval(e, nil, nil)
			}
			rows = append(rows, row)
		}
		return relation{x.Cols, rows}
	case *logical.Filter:
		src := in.run(x.Input)
		var rows [][]any
		for _, r := range src.rows {
			if in.eval(x.Pred, src.cols, r) == true {
				rows = append(rows, r)
			}
		}
		return relation{src.cols, rows}
	case *logical.Project:
		src := in.run(x.Input)
		var rows [][]any
		for _, r := range src.rows {
			row := make([]any, len(x.Exprs))
			for i, e := range x.Exprs {
				row[i] = in.eval(e, src.cols, r)
			}
			rows = append(rows, row)
		}
		return relation{x.Cols, rows}
	case *logical.Aggregate:
		return in.aggregate(x)
	case *logical.Sort:
		src := in.run(x.Input)
		return relation{src.cols, in.sorted(src, x.Keys)}
	case *logical.TopN:
		src := in.run(x.Input)
		return relation{src.cols, limitRows(in.sorted(src, x.Keys), x.Count, x.Offset)}
	case *logical.Limit:
		src := in.run(x.Input)
		return relation{src.cols, limitRows(src.rows, x.Count, x.Offset)}
	case *logical.Distinct:
		src := in.run(x.Input)
		seen := map[string]bool{}
		var rows [][]any
		for _, r := range src.rows {
			if k := rowKey(r); !seen[k] {
				seen[k] = true
				rows = append(rows, r)
			}
		}
		return relation{src.cols, rows}
	case *logical.Union:
		var rows [][]any
		for _, i := range x.Inputs {
			rows = append(rows, in.run(i).rows...)
		}
		return relation{x.Cols, rows}
	case *logical.Join:
		return in.join(x)
	}
	t.Fatalf("interp: unsupported node %T", n)
	return relation{}
}

func limitRows(rows [][]any, count, offset int64) [][]any {
	if offset >= int64(len(rows)) {
		return nil
	}
	rows = rows[offset:]
	if count >= 0 && count < int64(len(rows)) {
		rows = rows[:count]
	}
	return rows
}

func rowKey(r []any) string { return fmt.Sprintf("%#v", r) }

func (in interp) sorted(src relation, keys []logical.SortKey) [][]any {
	rows := append([][]any{}, src.rows...)
	sort.SliceStable(rows, func(i, j int) bool {
		for _, k := range keys {
			a, b := in.eval(k.Expr, src.cols, rows[i]), in.eval(k.Expr, src.cols, rows[j])
			switch {
			case a == nil && b == nil:
				continue
			case a == nil:
				return k.NullsFirst
			case b == nil:
				return !k.NullsFirst
			}
			c := compare(a, b)
			if c == 0 {
				continue
			}
			return (c < 0) != k.Desc
		}
		return false
	})
	return rows
}

func compare(a, b any) int {
	switch a := a.(type) {
	case int64:
		return cmpOrdered(a, b.(int64))
	case string:
		return cmpOrdered(a, b.(string))
	case bool:
		x, y := 0, 0
		if a {
			x = 1
		}
		if b.(bool) {
			y = 1
		}
		return cmpOrdered(x, y)
	}
	panic(fmt.Sprintf("interp: cannot compare %T", a))
}

func cmpOrdered[T int | int64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (in interp) aggregate(x *logical.Aggregate) relation {
	src := in.run(x.Input)
	type group struct {
		keys []any
		rows [][]any
	}
	var order []string
	groups := map[string]*group{}
	if len(x.GroupBy) == 0 {
		order, groups[""] = []string{""}, &group{}
	}
	for _, r := range src.rows {
		keys := make([]any, len(x.GroupBy))
		for i, e := range x.GroupBy {
			keys[i] = in.eval(e, src.cols, r)
		}
		k := rowKey(keys)
		if len(x.GroupBy) == 0 {
			k = ""
		}
		g, ok := groups[k]
		if !ok {
			g = &group{keys: keys}
			groups[k] = g
			order = append(order, k)
		}
		g.rows = append(g.rows, r)
	}
	var rows [][]any
	for _, k := range order {
		g := groups[k]
		row := append([]any{}, g.keys...)
		for _, a := range x.Aggs {
			var acc any
			var n int64
			for _, r := range g.rows {
				if a.Filter != nil && in.eval(a.Filter, src.cols, r) != true {
					continue
				}
				if len(a.Args) == 0 {
					n++
					continue
				}
				v := in.eval(a.Args[0], src.cols, r)
				if v == nil {
					continue
				}
				n++
				switch {
				case acc == nil:
					acc = v
				case a.Func == "sum":
					acc = acc.(int64) + v.(int64)
				case a.Func == "min" && compare(v, acc) < 0, a.Func == "max" && compare(v, acc) > 0:
					acc = v
				}
			}
			if a.Func == "count" {
				acc = n
			}
			row = append(row, acc)
		}
		rows = append(rows, row)
	}
	return relation{x.Schema(), rows}
}

func (in interp) join(x *logical.Join) relation {
	l, r := in.run(x.Left), in.run(x.Right)
	cols := append(append([]logical.Column{}, l.cols...), r.cols...)
	nulls := func(k int) []any { return make([]any, k) }
	cond := func(lr, rr []any) any {
		if x.Cond == nil {
			return true
		}
		return in.eval(x.Cond, cols, append(append([]any{}, lr...), rr...))
	}
	var rows [][]any
	rightMatched := make([]bool, len(r.rows))
	for _, lr := range l.rows {
		matched, unknown := false, false
		for j, rr := range r.rows {
			switch cond(lr, rr) {
			case true:
				matched = true
				rightMatched[j] = true
				if x.Kind != logical.SemiJoin && x.Kind != logical.AntiJoin {
					rows = append(rows, append(append([]any{}, lr...), rr...))
				}
			case nil:
				unknown = true
			}
		}
		switch x.Kind {
		case logical.SemiJoin:
			if matched {
				rows = append(rows, lr)
			}
		case logical.AntiJoin:
			if !matched && !(x.NullAware && unknown) {
				rows = append(rows, lr)
			}
		case logical.LeftJoin, logical.FullJoin:
			if !matched {
				rows = append(rows, append(append([]any{}, lr...), nulls(len(r.cols))...))
			}
		}
	}
	if x.Kind == logical.RightJoin || x.Kind == logical.FullJoin {
		for j, rr := range r.rows {
			if !rightMatched[j] {
				rows = append(rows, append(nulls(len(l.cols)), rr...))
			}
		}
	}
	return relation{x.Schema(), rows}
}

func (in interp) eval(e logical.Expr, cols []logical.Column, row []any) any {
	t := in.t
	switch x := e.(type) {
	case *logical.Literal:
		return x.Value
	case *logical.ColumnRef:
		for i, c := range cols {
			if c.ID == x.ID {
				return row[i]
			}
		}
		t.Fatalf("interp: column %s not in [%s]", x, describeCols(cols))
	case *logical.Cast:
		return in.eval(x.X, cols, row)
	case *logical.Subquery:
		res := in.run(x.Plan)
		if len(res.rows) == 0 {
			return nil
		}
		return res.rows[0][0]
	case *logical.Case:
		for _, w := range x.Whens {
			if in.eval(w.Cond, cols, row) == true {
				return in.eval(w.Result, cols, row)
			}
		}
		return in.eval(x.Else, cols, row)
	case *logical.InList:
		v := in.eval(x.X, cols, row)
		if v == nil {
			return nil
		}
		var res any = false
		for _, item := range x.List {
			iv := in.eval(item, cols, row)
			if iv == nil {
				res = nil
			} else if compare(v, iv) == 0 {
				res = true
				break
			}
		}
		if x.Not && res != nil {
			return !res.(bool)
		}
		return res
	case *logical.Call:
		return in.call(x, cols, row)
	}
	t.Fatalf("interp: unsupported expression %s", e)
	return nil
}

func (in interp) call(x *logical.Call, cols []logical.Column, row []any) any {
	args := make([]any, len(x.Args))
	for i, a := range x.Args {
		args[i] = in.eval(a, cols, row)
	}
	switch x.Func {
	case "and":
		if args[0] == false || args[1] == false {
			return false
		}
		if args[0] == nil || args[1] == nil {
			return nil
		}
		return true
	case "or":
		if args[0] == true || args[1] == true {
			return true
		}
		if args[0] == nil || args[1] == nil {
			return nil
		}
		return false
	case "is_null":
		return args[0] == nil
	case "is_not_null":
		return args[0] != nil
	}
	for _, a := range args {
		if a == nil {
			return nil
		}
	}
	switch x.Func {
	case "not":
		return !args[0].(bool)
	case "+":
		return args[0].(int64) + args[1].(int64)
	case "-":
		return args[0].(int64) - args[1].(int64)
	case "*":
		return args[0].(int64) * args[1].(int64)
	case "||":
		return args[0].(string) + args[1].(string)
	case "=", "<>", "<", "<=", ">", ">=":
		c := compare(args[0], args[1])
		return map[string]bool{"=": c == 0, "<>": c != 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[x.Func]
	}
	in.t.Fatalf("interp: unsupported function %s", x.Func)
	return nil
}

// resultKey renders a relation's rows as a sorted multiset, or in order.
func resultKey(r relation, ordered bool) string {
	lines := make([]string, len(r.rows))
	for i, row := range r.rows {
		lines[i] = rowKey(row)
	}
	if !ordered {
		sort.Strings(lines)
	}
	return strings.Join(lines, "\n")
}
