package optest

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestBatchAndCell(t *testing.T) {
	s := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "j", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "iv", Type: arrow.FixedWidthTypes.MonthDayNanoInterval, Nullable: true},
	}, nil)
	mem := CheckedMem(t)
	b := Batch(t, mem, s, [][]any{
		{1, 2, 1.5, "a", true, 3, 1, arrow.MonthDayNanoInterval{Days: 1}},
		{int64(4), int32(5), nil, nil, nil, arrow.Timestamp(6), arrow.Date32(0), nil},
	})
	defer b.Release()
	var rows []string
	for i := range int(b.NumRows()) {
		var cells []string
		for c := range int(b.NumCols()) {
			cells = append(cells, Cell(b.Column(c), i))
		}
		rows = append(rows, strings.Join(cells, " "))
	}
	want := []string{
		`1 2 1.5 a true 3 1970-01-02 {"months":0,"days":1,"nanoseconds":0}`,
		"4 5 NULL NULL NULL 6 1970-01-01 NULL",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	// A NULL-typed array has no validity bitmap.
	n := array.NewNull(1)
	defer n.Release()
	if got := Cell(n, 0); got != "(null)" {
		t.Errorf("NULL-typed cell: %q", got)
	}
}

func TestCheckedMemSeesLeaks(t *testing.T) {
	ft := &fakeTB{TB: t}
	mem := CheckedMem(ft)
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(10)
	ft.runCleanups()
	if !ft.failed {
		t.Errorf("a leak did not fail the test")
	}
	buf.Release()
	ft.failed = false
	ft.runCleanups()
	if ft.failed {
		t.Errorf("no leak, yet the test failed")
	}
}

func TestFailWriter(t *testing.T) {
	w := &FailWriter{After: 1}
	if n, err := w.Write([]byte("ab")); n != 2 || err != nil {
		t.Errorf("first write: %d, %v", n, err)
	}
	if _, err := w.Write([]byte("c")); !errors.Is(err, ErrWrite) {
		t.Errorf("second write: %v", err)
	}
}

// fakeTB records failures and cleanups instead of acting on them.
type fakeTB struct {
	testing.TB
	failed   bool
	cleanups []func()
}

func (f *fakeTB) Errorf(string, ...any) { f.failed = true }
func (f *fakeTB) Helper()               {}
func (f *fakeTB) Cleanup(fn func())     { f.cleanups = append(f.cleanups, fn) }

func (f *fakeTB) runCleanups() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}
