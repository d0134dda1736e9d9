package file

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// expandDict must equal the dictionary's values row by row: NULLs, short
// values, values longer than the 16-byte fast path, and sliced arrays.
func TestExpandDict(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	long := strings.Repeat("x", 40)
	b := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
	defer b.Release()
	want := []string{"paid", "", long, "exactly16bytes!!", "paid", "NULL", "nine-byte", long}
	for _, v := range want {
		if v == "NULL" {
			b.AppendNull()
			continue
		}
		if err := b.AppendString(v); err != nil {
			t.Fatal(err)
		}
	}
	d := b.NewArray().(*array.Dictionary)
	defer d.Release()
	for _, c := range []struct{ lo, hi int }{{0, len(want)}, {2, 7}} {
		sl := array.NewSlice(d, int64(c.lo), int64(c.hi)).(*array.Dictionary)
		out, ok := expandDict(mem, sl)
		if !ok {
			t.Fatal("expandDict refused a string dictionary")
		}
		s := out.(*array.String)
		for i := 0; i < s.Len(); i++ {
			w := want[c.lo+i]
			if got := s.Value(i); (w == "NULL") != s.IsNull(i) || (w != "NULL" && got != w) {
				t.Errorf("slice %v row %d: got %q (null %v), want %q", c, i, got, s.IsNull(i), w)
			}
		}
		out.Release()
		sl.Release()
	}
}
