package window

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/internal/optest"
	"github.com/streamsql/streamsql/operators"
)

type scriptCase struct {
	name  string
	spec  Spec
	steps []any
	want  []string
	late  []string
	stats *Stats
}

func runCases(t *testing.T, cases []scriptCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := optest.CheckedMem(t)
			h := newHarness(t, mem, c.spec)
			defer h.close()
			got := h.run(c.steps...)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("output:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if c.late != nil && !reflect.DeepEqual(h.late, c.late) {
				t.Errorf("late rows %q, want %q", h.late, c.late)
			}
			if c.stats != nil {
				st := h.op.Stats()
				if st.LateRows != c.stats.LateRows || st.OpenWindows != c.stats.OpenWindows || st.OpenGroups != c.stats.OpenGroups {
					t.Errorf("stats %+v, want %+v", st, *c.stats)
				}
			}
		})
	}
}

func tumble(size int64, keyed bool) Spec {
	s := baseSpec(Tumble, keyed)
	s.Size = size
	return s
}

func TestTumble(t *testing.T) {
	runCases(t, []scriptCase{
		{
			name: "keyed, closing one by one",
			spec: tumble(10, true),
			steps: []any{
				[]ev{e(1, "a", 1), e(12, "b", 2), e(3, "b", 3), e(5, "a", 4)},
				wm(9),
				[]ev{e(9, "a", 5), e(21, "a", 6)},
				wm(10),
				wm(20),
				end{},
			},
			want: []string{
				"@wm 9",
				"0 10 a 3 10", "0 10 b 1 3",
				"@wm 10",
				"10 20 b 1 2",
				"@wm 20",
				"20 30 a 1 6",
				"@end",
			},
		},
		{
			name:  "unkeyed",
			spec:  tumble(10, false),
			steps: []any{[]ev{e(1, "a", 1), e(12, "b", 2), e(-3, "b", 3)}, end{}},
			want:  []string{"-10 0 1 3", "0 10 1 1", "10 20 1 2", "@end"},
		},
		{
			name:  "empty input",
			spec:  tumble(10, true),
			steps: []any{[]ev{}, wm(100), end{}},
			want:  []string{"@wm 100", "@end"},
		},
	})
}

func hop(slide, size int64, keyed bool) Spec {
	s := baseSpec(Hop, keyed)
	s.Slide, s.Size = slide, size
	return s
}

func sessionSpec(gap int64, keyed bool) Spec {
	s := baseSpec(Session, keyed)
	s.Gap = gap
	return s
}

func withEmit(s Spec, m EmitMode) Spec { s.Emit = m; return s }

func withLateness(s Spec, l int64) Spec { s.AllowedLateness = l; return s }

func TestHop(t *testing.T) {
	steps := []any{
		[]ev{e(7, "a", 1), e(1, "b", 10), e(12, "a", 100)},
		wm(10),
		wm(15),
		end{},
	}
	runCases(t, []scriptCase{
		{
			name:  "each row in size/slide windows",
			spec:  hop(5, 15, true),
			steps: steps,
			want: []string{
				"-10 5 b 1 10", "-5 10 a 1 1", "-5 10 b 1 10",
				"@wm 10",
				"0 15 a 2 101", "0 15 b 1 10",
				"@wm 15",
				"5 20 a 2 101",
				"10 25 a 1 100",
				"@end",
			},
		},
		{
			name:  "slide equal to size is a tumble",
			spec:  hop(10, 10, true),
			steps: steps,
			want: []string{
				"0 10 a 1 1", "0 10 b 1 10",
				"@wm 10",
				"@wm 15",
				"10 20 a 1 100",
				"@end",
			},
		},
		{
			name:  "unkeyed",
			spec:  hop(5, 10, false),
			steps: steps,
			want: []string{
				"-5 5 1 10", "0 10 2 11",
				"@wm 10",
				"5 15 2 101",
				"@wm 15",
				"10 20 1 100",
				"@end",
			},
		},
	})
}

// An offset (date_bin's origin) shifts tumbling and hopping windows.
func TestOffsetWindows(t *testing.T) {
	mem := optest.CheckedMem(t)
	for _, c := range []struct {
		kind Kind
		want []string
	}{
		{Tumble, []string{"[-3s,7s) 1", "[7s,17s) 2", "[17s,27s) 1"}},
		{Hop, []string{"[-8s,2s) 1", "[-3s,7s) 1", "[2s,12s) 1", "[7s,17s) 2", "[12s,22s) 2", "[17s,27s) 1"}},
	} {
		spec := Spec{Kind: c.kind, Size: 10_000_000, Slide: 5_000_000, Offset: 7_000_000 + 50_000_000, TimeCol: 0,
			Input: offsetSchema, Aggs: []operators.AggSpec{{Func: "count", Filter: -1, Name: "n"}}}
		a, err := NewAggregate(spec)
		if err != nil {
			t.Fatal(err)
		}
		got := runOffset(t, mem, a, []int64{1_000_000, 8_000_000, 16_999_999, 17_000_000})
		if strings.Join(got, " | ") != strings.Join(c.want, " | ") {
			t.Errorf("%s: got %v, want %v", c.kind, got, c.want)
		}
	}
}

var offsetSchema = arrow.NewSchema([]arrow.Field{{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true}}, nil)

// runOffset feeds times, ends the input and renders "[start,end) count".
func runOffset(t *testing.T, mem memory.Allocator, a *Aggregate, times []int64) []string {
	t.Helper()
	ctx := context.Background()
	if err := a.Open(ctx, mem); err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b := array.NewTimestampBuilder(mem, offsetSchema.Field(0).Type.(*arrow.TimestampType))
	for _, v := range times {
		b.Append(arrow.Timestamp(v))
	}
	col := b.NewArray()
	b.Release()
	rec := array.NewRecordBatch(offsetSchema, []arrow.Array{col}, int64(len(times)))
	col.Release()
	var out []string
	emit := func(r arrow.RecordBatch) error {
		defer r.Release()
		s, e, n := r.Column(0).(*array.Timestamp), r.Column(1).(*array.Timestamp), r.Column(2).(*array.Int64)
		for i := 0; i < int(r.NumRows()); i++ {
			out = append(out, fmt.Sprintf("[%s,%s) %d", time.Duration(s.Value(i))*time.Microsecond, time.Duration(e.Value(i))*time.Microsecond, n.Value(i)))
		}
		return nil
	}
	if err := a.ProcessBatch(ctx, 0, rec, emit); err != nil {
		t.Fatal(err)
	}
	rec.Release()
	if err := a.EndOfInput(ctx, 0, emit); err != nil {
		t.Fatal(err)
	}
	return out
}
