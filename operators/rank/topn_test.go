package rank

import (
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/internal/optest"
)

// The top-n test input: wend TIMESTAMP, k VARCHAR, score BIGINT, name
// VARCHAR.
var topnSchema = arrow.NewSchema([]arrow.Field{
	{Name: "wend", Type: tsType, Nullable: true},
	{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "score", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

type topnCase struct {
	name  string
	spec  TopNSpec
	steps []any
	out   []string
	late  []string
}

func runTopNCases(t *testing.T, cases []topnCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.spec.Input = topnSchema
			out, late := script(t, topnSchema, topnOp(c.spec), c.steps...)
			equal(t, "output", out, c.out)
			equal(t, "late rows", late, c.late)
			out, late = script(t, topnSchema, topnOp(c.spec), withSnaps(c.steps)...)
			equal(t, "output with snapshots", out, c.out)
			equal(t, "late rows with snapshots", late, c.late)
		})
	}
}

func TestTopNWindowed(t *testing.T) {
	byScore := []SortKey{{Col: 2, Desc: true}}
	runTopNCases(t, []topnCase{{
		name: "ties, NULLs, N larger than a partition, late rows",
		spec: TopNSpec{PartitionCols: []int{0, 1}, CloseCol: 0, Order: byScore, N: 2, RowNumber: true},
		steps: []any{
			rows{{10, "a", 5, "x1"}, {10, "a", 7, "x2"}, {10, "a", 5, "x3"}, {10, "a", 9, "x4"},
				{10, "b", 1, "y1"}, {20, "a", nil, "z2"}, {20, "a", 3, "z1"}},
			rows{{10, "b", 1, "y2"}, {10, "b", 1, "y3"}, {10, nil, 4, "n1"}},
			wm(10),
			rows{{10, "a", 100, "late"}, {nil, "a", 1, "null"}, {30, "c", 1, "c1"}},
			end{},
		},
		out: []string{
			"10 a 9 x4 1", "10 a 7 x2 2", "10 b 1 y1 1", "10 b 1 y2 2", "10 NULL 4 n1 1", "@wm 10",
			"20 a 3 z1 1", "20 a NULL z2 2", "30 c 1 c1 1", "@end"},
		late: []string{"NULL a 1 null | late event", "10 a 100 late | late event"},
	}, {
		name: "partitions closing at one watermark, by close then arrival",
		spec: TopNSpec{PartitionCols: []int{1}, CloseCol: 0, Order: []SortKey{{Col: 3}}, N: 1},
		steps: []any{
			rows{{20, "a", 0, "q"}, {10, "b", 0, "r"}, {10, "a", 0, "p"}, {20, "b", 0, "s"}, {10, "b", 0, "o"}},
			wm(5),
			wm(30),
		},
		out: []string{"@wm 5", "10 b 0 o", "10 a 0 p", "20 a 0 q", "20 b 0 s", "@wm 30"},
	}, {
		name: "close offset, NULLS FIRST, ascending",
		spec: TopNSpec{PartitionCols: []int{0}, CloseCol: 0, CloseOffset: 10,
			Order: []SortKey{{Col: 2, NullsFirst: true}}, N: 3, RowNumber: true, RowNumberName: "rn"},
		steps: []any{
			rows{{0, "a", 5, "x"}, {0, "b", nil, "y"}, {0, "c", 3, "z"}, {0, "d", 4, "w"}, {10, "e", 1, "v"}},
			wm(9),
			wm(10),
			rows{{0, "f", 0, "late"}},
			wm(20),
		},
		out:  []string{"@wm 9", "0 b NULL y 1", "0 c 3 z 2", "0 d 4 w 3", "@wm 10", "10 e 1 v 1", "@wm 20"},
		late: []string{"0 f 0 late | late event"},
	}})
}

func TestTopNChangelog(t *testing.T) {
	byScore := []SortKey{{Col: 2, Desc: true}}
	steps := []any{
		rows{{0, "a", 5, "x1"}, {0, "a", 7, "x2"}},
		rows{{0, "a", 6, "x3"}, {0, "a", 1, "x0"}},
		rows{{0, "a", 9, "x4"}},
		rows{{0, "a", 8, "x5"}, {0, "a", 10, "x6"}, {0, "b", 1, "y1"}},
		wm(100),
		rows{{0, "b", 1, "y2"}, {0, "b", 1, "y3"}},
		end{},
	}
	runTopNCases(t, []topnCase{{
		name:  "with row numbers",
		spec:  TopNSpec{PartitionCols: []int{1}, CloseCol: -1, Order: byScore, N: 2, RowNumber: true},
		steps: steps,
		out: []string{
			"0 a 7 x2 1 +", "0 a 5 x1 2 +",
			"0 a 5 x1 2 -", "0 a 6 x3 2 +",
			"0 a 7 x2 1 -", "0 a 6 x3 2 -", "0 a 9 x4 1 +", "0 a 7 x2 2 +",
			"0 a 9 x4 1 -", "0 a 7 x2 2 -", "0 a 10 x6 1 +", "0 a 9 x4 2 +", "0 b 1 y1 1 +",
			"@wm 100",
			"0 b 1 y2 2 +",
			"@end"},
	}, {
		name:  "without row numbers",
		spec:  TopNSpec{PartitionCols: []int{1}, CloseCol: -1, Order: byScore, N: 2},
		steps: steps,
		out: []string{
			"0 a 7 x2 +", "0 a 5 x1 +",
			"0 a 5 x1 -", "0 a 6 x3 +",
			"0 a 6 x3 -", "0 a 9 x4 +",
			"0 a 7 x2 -", "0 a 10 x6 +", "0 b 1 y1 +",
			"@wm 100",
			"0 b 1 y2 +",
			"@end"},
	}})
}

func TestTopNStats(t *testing.T) {
	mem := optest.CheckedMem(t)
	spec := TopNSpec{Input: topnSchema, PartitionCols: []int{1}, CloseCol: 0, N: 1}
	h := newHarness(t, mem, topnSchema, topnOp(spec))
	defer h.close()
	h.run(rows{{10, "a", 1, "x"}, {10, "b", 2, "y"}, {20, "a", 3, "z"}}, wm(10), rows{{5, "c", 0, "w"}})
	op := h.op.(*TopN)
	if op.Partitions() != 1 || op.LateRows() != 1 || op.StateBytes() <= 0 {
		t.Errorf("partitions %d, late %d, bytes %d; want 1, 1, > 0", op.Partitions(), op.LateRows(), op.StateBytes())
	}
	if got := op.Spec().RowNumberName; got != "" {
		t.Errorf("row number name %q without a row number", got)
	}
}

// TestTopNOrderTypes orders by keys of every kind: DOUBLE (NaN above
// every number, -0 equal to 0, NULLS FIRST), INTEGER, BOOLEAN, DATE and
// TIMESTAMP, descending and ascending, ties kept in arrival order.
func TestTopNOrderTypes(t *testing.T) {
	s := arrow.NewSchema([]arrow.Field{
		{Name: "w", Type: tsType},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "t", Type: tsType, Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String},
	}, nil)
	nan, negZero := math.NaN(), math.Copysign(0, -1)
	spec := TopNSpec{Input: s, CloseCol: 0, N: 100, Order: []SortKey{
		{Col: 1, Desc: true, NullsFirst: true}, {Col: 2}, {Col: 3, Desc: true}, {Col: 4}, {Col: 5, Desc: true}}}
	steps := []any{
		rows{
			{10, nan, 1, true, 1, 1, "r1"},
			{10, nil, 5, false, 0, 0, "r2"},
			{10, 2.0, 1, true, 1, 1, "r3"},
			{10, nan, 0, false, 0, 0, "r4"},
			{10, 2.0, 1, false, 1, 1, "r5"},
		},
		rows{
			{10, 2.0, 1, true, 0, 5, "r6"},
			{10, negZero, 3, true, 0, 0, "r7"},
			{10, 0.0, 2, true, 0, 0, "r8"},
			{10, 2.0, 1, false, 1, 9, "r9"},
			{10, 2.0, 1, false, 1, 9, "r10"},
		},
		end{},
	}
	for _, steps := range [][]any{steps, withSnaps(steps)} {
		out, _ := script(t, s, topnOp(spec), steps...)
		var names []string
		for _, line := range out {
			if f := strings.Fields(line); len(f) == 7 {
				names = append(names, f[6])
			}
		}
		equal(t, "order", names, strings.Fields("r2 r4 r1 r6 r3 r9 r10 r5 r8 r7"))
	}
}
