package agg

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

func TestGroupTable(t *testing.T) {
	keySets := [][]types.Type{
		{types.BigintType},
		{types.IntegerType},
		{types.TimestampType},
		{types.DateType},
		{types.DoubleType},
		{types.BooleanType},
		{types.VarcharType},
		{types.IntervalType},
		{types.NullType},
		{types.VarcharType, types.BigintType},
		{types.BooleanType, types.DoubleType, types.VarcharType, types.IntervalType},
		{types.VarcharType, types.VarcharType},
		{types.NullType, types.IntegerType},
	}
	r := rand.New(rand.NewSource(2))
	for _, ks := range keySets {
		t.Run(fmt.Sprint(ks), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			dts := make([]arrow.DataType, len(ks))
			for i, k := range ks {
				dts[i] = k.ArrowType()
			}
			tab, err := NewGroupTable(dts)
			if err != nil {
				t.Fatal(err)
			}
			ref := map[string]uint32{}
			var groups []uint32
			var newRows []int32
			// Many batches so the tables grow past their initial size.
			for batch := 0; batch < 40; batch++ {
				n := r.Intn(200)
				cols := make([]arrow.Array, len(ks))
				for c, k := range ks {
					vals := make([]any, n)
					for i := range vals {
						if k.Kind != types.Null && r.Intn(10) != 0 {
							vals[i] = randomGroupValue(r, k, batch)
						}
					}
					cols[c] = mk(t, mem, k, vals...)
				}
				before := tab.Len()
				groups, newRows, err = tab.Find(cols, groups, newRows[:0])
				if err != nil {
					t.Fatal(err)
				}
				if len(groups) != n {
					t.Fatalf("got %d groups for %d rows", len(groups), n)
				}
				nr := 0
				for i := 0; i < n; i++ {
					k := refKey(t, cols, i)
					want, ok := ref[k]
					if !ok {
						want = uint32(len(ref))
						ref[k] = want
						if nr >= len(newRows) || newRows[nr] != int32(i) {
							t.Fatalf("row %d (%s) is new but newRows = %v", i, k, newRows)
						}
						nr++
					}
					if groups[i] != want {
						t.Fatalf("batch %d row %d key %s: group %d, want %d", batch, i, k, groups[i], want)
					}
				}
				if nr != len(newRows) || tab.Len() != before+nr || tab.Len() != len(ref) {
					t.Fatalf("newRows %v, Len %d, want %d new and %d groups", newRows, tab.Len(), nr, len(ref))
				}
				for _, c := range cols {
					c.Release()
				}
			}
		})
	}
}

// randomGroupValue draws from a domain growing with batch so that later
// batches both repeat old keys and introduce new ones.
func randomGroupValue(r *rand.Rand, typ types.Type, batch int) any {
	n := 10 + batch*100
	switch typ.Kind {
	case types.Boolean:
		return r.Intn(2) == 0
	case types.Integer, types.Bigint, types.Timestamp, types.Date:
		return r.Intn(n) - n/2
	case types.Double:
		switch r.Intn(20) {
		case 0:
			return math.NaN()
		case 1:
			return math.Copysign(0, -1)
		case 2:
			return 0.0
		}
		return float64(r.Intn(n)) / 2
	case types.Varchar:
		return strings.Repeat("x", r.Intn(3)) + fmt.Sprint(r.Intn(n))
	case types.Interval:
		return iv(int32(r.Intn(3)), int32(r.Intn(n)), int64(r.Intn(3)))
	}
	return nil
}

func TestGroupTableErrors(t *testing.T) {
	if _, err := NewGroupTable([]arrow.DataType{arrow.PrimitiveTypes.Uint8}); err == nil {
		t.Error("uint8 key accepted")
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tab, err := NewGroupTable([]arrow.DataType{arrow.PrimitiveTypes.Int64})
	if err != nil {
		t.Fatal(err)
	}
	a := mk(t, mem, types.IntegerType, 1, 2)
	defer a.Release()
	if _, _, err := tab.Find([]arrow.Array{a}, nil, nil); err == nil {
		t.Error("int32 column accepted by an int64 table")
	}
}

// A batch of one repeated string key takes one lookup: every row gets the
// group, and only the first row of a new key is reported new.
func TestGroupTableConstantStringBatch(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tab, err := NewGroupTable([]arrow.DataType{arrow.BinaryTypes.String})
	if err != nil {
		t.Fatal(err)
	}
	build := func(vals ...string) arrow.Array {
		b := array.NewStringBuilder(mem)
		defer b.Release()
		b.AppendValues(vals, nil)
		return b.NewArray()
	}
	for _, tc := range []struct {
		vals    []string
		groups  string
		newRows string
	}{
		{[]string{"a", "a", "a"}, "[0 0 0]", "[0]"},
		{[]string{"b", "b"}, "[1 1]", "[0]"},
		{[]string{"a", "a"}, "[0 0]", "[]"},
		{[]string{"ab", "a", "b"}, "[2 0 1]", "[0]"}, // same total bytes, different keys
	} {
		a := build(tc.vals...)
		groups, newRows, err := tab.Find([]arrow.Array{a}, nil, nil)
		a.Release()
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(groups); got != tc.groups {
			t.Errorf("%v: groups %s, want %s", tc.vals, got, tc.groups)
		}
		if got := fmt.Sprint(newRows); got != tc.newRows {
			t.Errorf("%v: new rows %s, want %s", tc.vals, got, tc.newRows)
		}
	}
}
