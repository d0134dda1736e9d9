package functions

import (
	"strings"
	"testing"

	"github.com/streamsql/streamsql/planner/types"
)

func TestEveryFunctionIsDocumented(t *testing.T) {
	if len(All()) < 80 {
		t.Errorf("only %d functions registered", len(All()))
	}
	for _, f := range All() {
		if f.Doc == "" {
			t.Errorf("%s: no Doc", f.Name)
		}
		if f.Example == "" {
			t.Errorf("%s: no Example", f.Name)
		}
		if f.Result == "" {
			t.Errorf("%s: no Result for its Example", f.Name)
		}
		if f.Name != strings.ToLower(f.Name) {
			t.Errorf("%s: name not lower case", f.Name)
		}
		if f.Resolve == nil {
			t.Errorf("%s: no Resolve", f.Name)
		}
		for _, a := range f.Aliases {
			if g, ok := Lookup(a); !ok || g != f {
				t.Errorf("%s: alias %s does not resolve to it", f.Name, a)
			}
		}
	}
}

var (
	I = types.IntegerType
	B = types.BigintType
	D = types.DoubleType
	V = types.VarcharType
	T = types.TimestampType
	A = types.DateType
	N = types.IntervalType
	J = types.JSONType
	L = types.BooleanType
	Z = types.NullType
)

func ts(t ...types.Type) []types.Type { return t }

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []types.Type
		want Signature
	}{
		{"+", ts(I, I), Signature{ts(I, I), I}},
		{"+", ts(I, B), Signature{ts(B, B), B}},
		{"+", ts(B, D), Signature{ts(D, D), D}},
		{"+", ts(Z, I), Signature{ts(I, I), I}},
		{"+", ts(Z, Z), Signature{ts(I, I), I}},
		{"+", ts(T, N), Signature{ts(T, N), T}},
		{"+", ts(N, T), Signature{ts(N, T), T}},
		{"+", ts(A, I), Signature{ts(A, I), A}},
		{"+", ts(B, A), Signature{ts(B, A), A}},
		{"+", ts(A, N), Signature{ts(T, N), T}},
		{"+", ts(N, N), Signature{ts(N, N), N}},
		{"-", ts(T, T), Signature{ts(T, T), N}},
		{"-", ts(T, A), Signature{ts(T, T), N}},
		{"-", ts(A, A), Signature{ts(A, A), I}},
		{"-", ts(A, I), Signature{ts(A, I), A}},
		{"-", ts(T, N), Signature{ts(T, N), T}},
		{"*", ts(N, I), Signature{ts(N, D), N}},
		{"*", ts(D, N), Signature{ts(D, N), N}},
		{"/", ts(I, I), Signature{ts(I, I), I}},
		{"/", ts(N, D), Signature{ts(N, D), N}},
		{"%", ts(B, I), Signature{ts(B, B), B}},
		{"neg", ts(D), Signature{ts(D), D}},
		{"neg", ts(N), Signature{ts(N), N}},
		{"=", ts(I, D), Signature{ts(D, D), L}},
		{"<", ts(A, T), Signature{ts(T, T), L}},
		{"<>", ts(J, V), Signature{ts(V, V), L}},
		{"=", ts(Z, Z), Signature{ts(V, V), L}},
		{">=", ts(L, Z), Signature{ts(L, L), L}},
		{"is_distinct_from", ts(I, Z), Signature{ts(I, I), L}},
		{"and", ts(L, Z), Signature{ts(L, L), L}},
		{"not", ts(Z), Signature{ts(L), L}},
		{"||", ts(V, I), Signature{ts(V, V), V}},
		{"is_null", ts(T), Signature{ts(T), L}},
		{"like", ts(V, V), Signature{ts(V, V), L}},
		{"ilike", ts(J, V, V), Signature{ts(V, V, V), L}},
		{"->", ts(J, V), Signature{ts(J, V), J}},
		{"->", ts(V, I), Signature{ts(V, B), J}},
		{"->>", ts(J, B), Signature{ts(J, B), V}},
		{"lower", ts(V), Signature{ts(V), V}},
		{"LOWER", ts(J), Signature{ts(V), V}},
		{"lower", ts(Z), Signature{ts(V), V}},
		{"char_length", ts(V), Signature{ts(V), B}},
		{"substring", ts(V, I), Signature{ts(V, B), V}},
		{"substr", ts(V, I, B), Signature{ts(V, B, B), V}},
		{"concat", ts(V, I, Z), Signature{ts(V, V, V), V}},
		{"trim", ts(V, V), Signature{ts(V, V), V}},
		{"regexp_replace", ts(V, V, V, V), Signature{ts(V, V, V, V), V}},
		{"position", ts(V, V), Signature{ts(V, V), B}},
		{"now", nil, Signature{ts(), T}},
		{"current_timestamp", nil, Signature{ts(), T}},
		{"date_trunc", ts(V, A), Signature{ts(V, T), T}},
		{"date_bin", ts(N, T, T), Signature{ts(N, T, T), T}},
		{"date_part", ts(V, T), Signature{ts(V, T), D}},
		{"extract", ts(V, N), Signature{ts(V, N), D}},
		{"to_timestamp", ts(I), Signature{ts(D), T}},
		{"to_timestamp", ts(V), Signature{ts(V), T}},
		{"json_get_str", ts(J, V, I), Signature{ts(J, V, B), V}},
		{"json_get", ts(V), Signature{ts(V), J}},
		{"coalesce", ts(Z, I, B), Signature{ts(B, B, B), B}},
		{"coalesce", ts(Z), Signature{ts(V), V}},
		{"greatest", ts(I, D), Signature{ts(D, D), D}},
		{"nullif", ts(V, J), Signature{ts(V, V), V}},
		{"abs", ts(I), Signature{ts(I), I}},
		{"abs", ts(B), Signature{ts(B), B}},
		{"abs", ts(Z), Signature{ts(D), D}},
		{"round", ts(I, I), Signature{ts(D, B), D}},
		{"ceiling", ts(D), Signature{ts(D), D}},
		{"pow", ts(I, I), Signature{ts(D, D), D}},
		{"mod", ts(I, B), Signature{ts(B, B), B}},
		{"pi", nil, Signature{ts(), D}},
		{"hash", ts(V, Z, N), Signature{ts(V, Z, N), B}},
		{"count", nil, Signature{ts(), B}},
		{"count", ts(V), Signature{ts(V), B}},
		{"sum", ts(I), Signature{ts(I), B}},
		{"sum", ts(B), Signature{ts(B), B}},
		{"sum", ts(D), Signature{ts(D), D}},
		{"sum", ts(N), Signature{ts(N), N}},
		{"avg", ts(I), Signature{ts(I), D}},
		{"min", ts(T), Signature{ts(T), T}},
		{"max", ts(Z), Signature{ts(V), V}},
	} {
		_, got, err := Resolve(tc.name, tc.args)
		if err != nil {
			t.Errorf("%s%v: %v", tc.name, tc.args, err)
			continue
		}
		if !sameSig(got, tc.want) {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.args, got, tc.want)
		}
	}
}

func sameSig(a, b Signature) bool {
	if a.Return != b.Return || len(a.Args) != len(b.Args) {
		return false
	}
	for i := range a.Args {
		if a.Args[i] != b.Args[i] {
			return false
		}
	}
	return true
}

func TestResolveErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []types.Type
		want string
	}{
		{"lower", ts(B), "function lower(BIGINT) does not exist: lower takes (VARCHAR)"},
		{"+", ts(V, B), "operator does not exist: VARCHAR + BIGINT"},
		{"neg", ts(V), "operator does not exist: - VARCHAR"},
		{"and", ts(B, L), "operator does not exist: BIGINT AND BOOLEAN"},
		{"=", ts(V, T), "operator does not exist: VARCHAR = TIMESTAMP"},
		{"-", ts(N, T), "operator does not exist: INTERVAL - TIMESTAMP"},
		{"substr", ts(V), "function substr(VARCHAR) does not exist: substr takes (VARCHAR, BIGINT) or (VARCHAR, BIGINT, BIGINT)"},
		{"coalesce", ts(I, V), "function coalesce(INTEGER, VARCHAR) does not exist: coalesce takes arguments of one common type"},
		{"date_trunc", ts(V, B), "function date_trunc(VARCHAR, BIGINT) does not exist"},
		{"json_get_str", ts(B, V), "function json_get_str(BIGINT, VARCHAR) does not exist"},
		{"like", ts(B, V), "operator does not exist: BIGINT LIKE VARCHAR"},
		{"count", ts(V, V), "function count(VARCHAR, VARCHAR) does not exist"},
		{"nosuch", nil, "unknown function nosuch"},
	} {
		_, _, err := Resolve(tc.name, tc.args)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s%v: error %v, want %q", tc.name, tc.args, err, tc.want)
		}
	}
}

func TestDatePartSpecialize(t *testing.T) {
	for field, want := range map[string]types.Type{
		"year": B, "MONTH": B, "dow": B, "isodow": B, "doy": B, "week": B, "quarter": B, "hours": B,
		"millisecond": B, "microseconds": B, "second": D, "epoch": D, "nonsense": D,
	} {
		_, sig, err := ResolveConst("extract", ts(V, T), []any{field, nil})
		if err != nil {
			t.Fatal(err)
		}
		if sig.Return != want {
			t.Errorf("date_part(%q, ts) returns %s, want %s", field, sig.Return, want)
		}
	}
	if _, sig, _ := ResolveConst("date_part", ts(V, T), []any{nil, nil}); sig.Return != D {
		t.Errorf("date_part with a varying field returns %s, want DOUBLE", sig.Return)
	}
}
