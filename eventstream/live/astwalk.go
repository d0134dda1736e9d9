package live

import (
	"reflect"

	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/parse"
)

// The parser and the logical plan have no generic visitor, and a
// hand-written one would have to track every node type. These walkers go
// by reflection instead, entering only the values whose types the walked
// package defines, so they never wander into tables, Arrow data or
// locks that nodes merely point to.

var (
	parsePkg   = reflect.TypeFor[parse.Pos]().PkgPath()
	logicalPkg = reflect.TypeFor[logical.Scan]().PkgPath()
	exprType   = reflect.TypeFor[parse.Expr]()
)

// replaceExprs calls f on every expression of the AST under root,
// children before parents, and stores what f returns in its place.
func replaceExprs(root parse.Node, f func(parse.Expr) parse.Expr) {
	walkValue(reflect.ValueOf(root), parsePkg, func(v reflect.Value) {
		if v.Type() == exprType && v.CanSet() && !v.IsNil() {
			v.Set(reflect.ValueOf(f(v.Interface().(parse.Expr))))
		}
	})
}

// findScans calls f on every Scan of the plan, also those inside scalar
// subqueries.
func findScans(root logical.Node, f func(*logical.Scan)) {
	walkValue(reflect.ValueOf(root), logicalPkg, func(v reflect.Value) {
		if v.Kind() == reflect.Pointer && !v.IsNil() {
			if s, ok := v.Interface().(*logical.Scan); ok {
				f(s)
			}
		}
	})
}

// walkValue visits v and what it holds, depth first, calling visit after
// a value's contents (so a replaced expression is not walked again).
// It enters pointers, interfaces, slices and structs whose (element)
// types are declared in pkg; everything else is visited but not entered.
func walkValue(v reflect.Value, pkg string, visit func(reflect.Value)) {
	seen := map[uintptr]bool{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Interface:
			if !v.IsNil() && ownType(v.Elem().Type(), pkg) {
				walk(v.Elem())
			}
		case reflect.Pointer:
			if v.IsNil() || !ownType(v.Type(), pkg) || seen[v.Pointer()] {
				break
			}
			seen[v.Pointer()] = true
			walk(v.Elem())
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Struct:
			if !ownType(v.Type(), pkg) {
				break
			}
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		}
		visit(v)
	}
	walk(v)
}

// ownType reports whether t, or what a pointer t points to, is declared
// in pkg.
func ownType(t reflect.Type, pkg string) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.PkgPath() == pkg
}
