package parse

import (
	"fmt"
	"reflect"
	"strings"
)

// formatAll prints statements the way the tests expect them: one per
// line, separated by ";\n".
func formatAll(stmts []Statement) string {
	out := make([]string, len(stmts))
	for i, s := range stmts {
		out[i] = Format(s)
	}
	return strings.Join(out, ";\n")
}

var posType = reflect.TypeFor[Pos]()

// clearPos zeroes every Pos in the tree so two parses of differently laid
// out text can be compared structurally.
func clearPos(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			clearPos(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == posType {
			if v.CanSet() {
				v.Set(reflect.Zero(posType))
			}
			return
		}
		for i := range v.NumField() {
			clearPos(v.Field(i))
		}
	case reflect.Slice:
		for i := range v.Len() {
			clearPos(v.Index(i))
		}
	}
}

// sameTree reports whether a and b are equal ignoring positions.
func sameTree(a, b any) bool {
	clearPos(reflect.ValueOf(a))
	clearPos(reflect.ValueOf(b))
	return reflect.DeepEqual(a, b)
}

// checkRoundTrip verifies the Format contract for a successfully parsed
// input: the output reparses, prints identically, and yields the same tree.
// It returns the formatted text.
func checkRoundTrip(sql string, stmts []Statement) (string, error) {
	var outs []string
	for _, s := range stmts {
		out := Format(s)
		s2, err := ParseOne(out)
		if err != nil {
			return "", fmt.Errorf("reparse of %q (from %q) failed: %v", out, sql, err)
		}
		if out2 := Format(s2); out2 != out {
			return "", fmt.Errorf("unstable format for %q:\n first: %s\nsecond: %s", sql, out, out2)
		}
		if !sameTree(s, s2) {
			return "", fmt.Errorf("tree changed after round trip of %q via %q", sql, out)
		}
		outs = append(outs, out)
	}
	return strings.Join(outs, ";\n"), nil
}
