package expr

import (
	"math/rand/v2"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"regexp"
	"strings"
	"testing"
)

// likeRegexp translates a LIKE pattern (backslash escape) for reference.
func likeRegexp(p string, fold bool) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?s)^")
	if fold {
		b.WriteString("(?i)")
	}
	rs := []rune(p)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == '\\' && i+1 < len(rs):
			i++
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
		case r == '%':
			b.WriteString(".*")
		case r == '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// Random patterns and strings over a small alphabet, matched through every
// LIKE code path (constant shapes, bulk contains, ILIKE folding), against
// a regular-expression reference.
func TestLikeRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	alpha := []string{"a", "b", "A", "é", "É", "%", "_", "\\"}
	gen := func(max int, pattern bool) string {
		var b strings.Builder
		for n := r.IntN(max); n > 0; n-- {
			s := alpha[r.IntN(len(alpha))]
			if !pattern && (s == "%" || s == "_") && r.IntN(2) == 0 {
				s = "b"
			}
			b.WriteString(s)
		}
		s := b.String()
		if pattern && strings.HasSuffix(s, "\\") && !strings.HasSuffix(s, "\\\\") {
			s += "a"
		}
		return s
	}
	rows := make([]string, 200)
	for i := range rows {
		rows[i] = gen(7, false)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewStringBuilder(mem)
	b.AppendValues(rows, nil)
	arr := b.NewStringArray()
	b.Release()
	defer arr.Release()
	ctx := &Context{Mem: mem}
	checked := 0
	for k := 0; k < 400; k++ {
		p := gen(5, true)
		if k%4 == 0 {
			p = "%" + strings.Trim(p, "%") + "%" // exercise the contains path
		}
		for _, fold := range []bool{false, true} {
			m, err := compileLike(p, `\`, fold)
			if err != nil {
				continue
			}
			ref := likeRegexp(p, false)
			if fold {
				ref = likeRegexp(strings.ToLower(p), false)
			}
			checked++
			out := likeConst(ctx, arr, m).(*array.Boolean)
			for i, s := range rows {
				if fold {
					s = strings.ToLower(s)
				}
				if got, want := out.Value(i), ref.MatchString(s); got != want {
					t.Fatalf("%q LIKE %q (fold %v) = %v, want %v", rows[i], p, fold, got, want)
				}
			}
			out.Release()
		}
	}
	if checked < 600 {
		t.Errorf("only %d patterns compiled", checked)
	}
}

func TestContainsLoopBoundaries(t *testing.T) {
	rows := []string{"ab", "c", "", "abc", "xab", "bcbc", "b", "cab", "bc"}
	offs := make([]int32, len(rows)+1)
	for i, s := range rows {
		offs[i+1] = offs[i] + int32(len(s))
	}
	data := strings.Join(rows, "")
	for _, p := range []string{"bc", "b", "abc", "cb", "x", "bcbc", "ab"} {
		bits := make([]byte, 2)
		containsLoop(p, offs, data, bits)
		for i, s := range rows {
			if got, want := bits[i>>3]&(1<<(i&7)) != 0, strings.Contains(s, p); got != want {
				t.Errorf("contains(%q, %q) = %v", s, p, got)
			}
		}
	}
}
