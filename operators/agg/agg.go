// Package agg holds the kernels of streamsql's aggregate functions (count,
// sum, avg, min, max, each optionally DISTINCT and with a FILTER) as
// vectorized, group-indexed accumulators with a mergeable partial state, so
// partial aggregates computed over different inputs (parallel partitions,
// hot and cold storage) combine exactly. Count, sum and avg also come as
// Retractable accumulators (NewRetractable) for aggregates over a
// changelog.
package agg

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// Accumulator computes one aggregate function for many groups at once.
// Groups are dense indexes 0..n-1 handed out by the caller (a hash
// aggregate's group table); the accumulator keeps one state per group in
// plain Go memory.
//
// Ownership: arrays passed in (args, filter, state) are borrowed: read
// during the call only, never retained. Arrays returned by State and
// Finalize belong to the caller, who must Release them; they are allocated
// from the allocator passed in.
//
// Concurrency: an Accumulator is not safe for concurrent use. Aggregate in
// parallel with one Accumulator per worker and combine them with
// State/Merge.
type Accumulator interface {
	// Grow makes room for groups [0, n); new groups start empty (count 0,
	// sum NULL, …). It never shrinks.
	Grow(n int)
	// Len is the number of groups made room for so far.
	Len() int
	// Update folds row i of args into group groups[i], for every row i.
	// len(args) is the number of arguments given to New; each arg and the
	// filter have len(groups) rows. Rows whose filter value is not TRUE
	// (FALSE or NULL) are skipped; a nil filter keeps every row. Rows whose
	// argument is NULL are skipped too (COUNT(*) has no argument and counts
	// every row).
	Update(groups []uint32, args []arrow.Array, filter *array.Boolean) error
	// UpdateOne is Update with all n rows in group g, the case of an
	// aggregate without GROUP BY; it runs without the per-row scatter.
	UpdateOne(g uint32, n int, args []arrow.Array, filter *array.Boolean) error
	// StateTypes are the Arrow types of the partial state columns.
	StateTypes() []arrow.DataType
	// State returns the partial state of groups [0, Len()) as one array
	// per StateTypes entry, one row per group. It does not change the
	// accumulator.
	State(mem memory.Allocator) ([]arrow.Array, error)
	// Merge folds state row i (arrays shaped as State returns them, from
	// an accumulator made by New with the same arguments) into group
	// groups[i].
	Merge(groups []uint32, state []arrow.Array) error
	// Finalize returns the result of groups [0, Len()), one row per group.
	// It does not change the accumulator.
	Finalize(mem memory.Allocator) (arrow.Array, error)
	// Release frees the accumulator's memory; it is unusable afterwards.
	Release()
}

// Functions lists the aggregate functions New knows, by canonical name.
var Functions = []string{"count", "sum", "avg", "min", "max"}

// New makes an accumulator for the aggregate function name (count, sum,
// avg, min or max; case-insensitive) applied to arguments of argTypes, and
// returns the SQL type of its result. COUNT(*) is "count" with no
// arguments. distinct makes the function see each distinct non-NULL
// argument value once per group (it does not change min and max).
//
// Result types: count → BIGINT; sum of INTEGER or BIGINT → BIGINT (an
// overflow is an error "bigint out of range"), of DOUBLE → DOUBLE, of
// INTERVAL → INTERVAL; avg of INTEGER, BIGINT or DOUBLE → DOUBLE; min and
// max of BOOLEAN, INTEGER, BIGINT, DOUBLE, VARCHAR, JSON, TIMESTAMP, DATE
// or INTERVAL → the argument type. sum, avg, min and max are NULL for a
// group without non-NULL input; count is 0.
func New(name string, argTypes []types.Type, distinct bool) (Accumulator, types.Type, error) {
	name = strings.ToLower(name)
	inner, rt, err := newPlain(name, argTypes)
	if err != nil {
		return nil, types.Type{}, err
	}
	inner.core().init(inner, name, len(argTypes))
	if !distinct || name == "min" || name == "max" {
		return inner, rt, nil
	}
	if len(argTypes) != 1 {
		inner.Release()
		return nil, types.Type{}, fmt.Errorf("creating aggregate %s(DISTINCT): need exactly one argument", name)
	}
	d, err := newDistinct(inner, argTypes[0])
	if err != nil {
		inner.Release()
		return nil, types.Type{}, fmt.Errorf("creating aggregate %s(DISTINCT %s): %w", name, argTypes[0], err)
	}
	d.core().init(d, name, len(argTypes))
	return d, rt, nil
}

func newPlain(name string, argTypes []types.Type) (accumulator, types.Type, error) {
	sig := fmt.Sprintf("%s(%s)", name, typeList(argTypes))
	if name == "count" {
		switch len(argTypes) {
		case 0:
			return &count{star: true}, types.BigintType, nil
		case 1:
			return &count{}, types.BigintType, nil
		}
		return nil, types.Type{}, fmt.Errorf("creating aggregate %s: count takes at most one argument", sig)
	}
	if len(argTypes) != 1 {
		return nil, types.Type{}, fmt.Errorf("creating aggregate %s: %s takes exactly one argument", sig, name)
	}
	t := argTypes[0]
	var (
		a  accumulator
		rt = t
	)
	switch name {
	case "sum":
		switch {
		case t.IsInteger():
			a, rt = &sumInt{}, types.BigintType
		case t.Kind == types.Double:
			a = &sumFloat{}
		case t.Kind == types.Interval:
			a = &sumInterval{}
		}
	case "avg":
		switch t.Kind {
		case types.Integer:
			a = &avg[int32]{values: int32Values}
		case types.Bigint:
			a = &avg[int64]{values: int64Values}
		case types.Double:
			a = &avg[float64]{values: float64Values}
		}
		rt = types.DoubleType
	case "min", "max":
		a = newMinMax(t, name == "max")
	default:
		return nil, types.Type{}, fmt.Errorf("creating aggregate %s: unknown aggregate function %s", sig, name)
	}
	if a == nil {
		return nil, types.Type{}, fmt.Errorf("creating aggregate %s: %s does not accept %s", sig, name, t)
	}
	return a, rt, nil
}

func typeList(ts []types.Type) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.String()
	}
	return strings.Join(s, ", ")
}

// accumulator is what every implementation offers: Update with the filter
// and NULL arguments already folded into a row mask.
type accumulator interface {
	Accumulator
	// update folds rows i with mask == nil || mask[i] into groups[i]; the
	// mask has already excluded filtered rows and NULL arguments.
	update(groups []uint32, args []arrow.Array, mask []bool) error
	core() *base
}

// oneUpdater is implemented by accumulators with a fast path for
// UpdateOne: fold the rows in mask (nil: all n) into group g.
type oneUpdater interface {
	updateOne(g uint32, n int, args []arrow.Array, mask []bool) error
}

// base is embedded by every accumulator: it implements Update and
// UpdateOne on top of the accumulator's update (and updateOne).
type base struct {
	self    accumulator
	name    string
	arity   int
	scratch []bool
	same    []uint32
}

func (b *base) core() *base { return b }

func (b *base) init(self accumulator, name string, arity int) {
	b.self, b.name, b.arity = self, name, arity
}

func (b *base) Update(groups []uint32, args []arrow.Array, filter *array.Boolean) error {
	if len(args) != b.arity {
		return fmt.Errorf("updating aggregate %s: got %d arguments, want %d", b.name, len(args), b.arity)
	}
	return updateVia(b.self, &b.scratch, groups, args, filter)
}

func (b *base) UpdateOne(g uint32, n int, args []arrow.Array, filter *array.Boolean) error {
	if len(args) != b.arity {
		return fmt.Errorf("updating aggregate %s: got %d arguments, want %d", b.name, len(args), b.arity)
	}
	if err := checkRows(n, args, filter); err != nil {
		return err
	}
	if int(g) >= b.self.Len() {
		return fmt.Errorf("updating aggregate %s: group %d out of range, have %d groups", b.name, g, b.self.Len())
	}
	mask := rowMask(&b.scratch, n, args, filter)
	if o, ok := b.self.(oneUpdater); ok {
		return o.updateOne(g, n, args, mask)
	}
	b.same = grow(b.same[:0], n)
	for i := range b.same {
		b.same[i] = g
	}
	return b.self.update(b.same, args, mask)
}

func checkRows(n int, args []arrow.Array, filter *array.Boolean) error {
	for _, arg := range args {
		if arg.Len() != n {
			return fmt.Errorf("updating aggregate: argument has %d rows, want %d", arg.Len(), n)
		}
	}
	if filter != nil && filter.Len() != n {
		return fmt.Errorf("updating aggregate: filter has %d rows, want %d", filter.Len(), n)
	}
	return nil
}

// updateVia implements Accumulator.Update for a: it builds the row mask in
// *scratch and calls a.update.
func updateVia(a accumulator, scratch *[]bool, groups []uint32, args []arrow.Array, filter *array.Boolean) error {
	n := len(groups)
	if err := checkRows(n, args, filter); err != nil {
		return err
	}
	if err := checkGroups(groups, a.Len()); err != nil {
		return err
	}
	mask := rowMask(scratch, n, args, filter)
	return a.update(groups, args, mask)
}

// rowMask returns, in *scratch, which of n rows have a TRUE filter and no
// NULL among args; nil means all of them.
func rowMask(scratch *[]bool, n int, args []arrow.Array, filter *array.Boolean) []bool {
	if n == 0 {
		return nil
	}
	need := filter != nil
	for _, a := range args {
		if a.NullN() > 0 {
			need = true
		}
	}
	if !need {
		return nil
	}
	if cap(*scratch) < n {
		*scratch = make([]bool, n)
	}
	mask := (*scratch)[:n]
	for i := range mask {
		mask[i] = true
	}
	for _, a := range args {
		if a.NullN() == 0 {
			continue
		}
		if a.DataType().ID() == arrow.NULL {
			clear(mask)
			return mask
		}
		andValidity(mask, a)
	}
	if filter != nil {
		andValidity(mask, filter)
		vals := filter.Data().Buffers()[1].Bytes()
		off := filter.Data().Offset()
		for i := range mask {
			mask[i] = mask[i] && bitutil.BitIsSet(vals, off+i)
		}
	}
	return mask
}

func andValidity(mask []bool, a arrow.Array) {
	if a.NullN() == 0 {
		return
	}
	bm := a.NullBitmapBytes()
	if len(bm) == 0 {
		return
	}
	off := a.Data().Offset()
	for i := range mask {
		mask[i] = mask[i] && bitutil.BitIsSet(bm, off+i)
	}
}

// grow extends s to n elements, amortizing reallocation like append.
func grow[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	if n <= cap(s) {
		return s[:n]
	}
	c := 2 * cap(s)
	if c < n {
		c = n
	}
	if c < 16 {
		c = 16
	}
	t := make([]T, n, c)
	copy(t, s)
	return t
}

func checkGroups(groups []uint32, n int) error {
	for _, g := range groups {
		if int(g) >= n {
			return fmt.Errorf("updating aggregate: group %d out of range, have %d groups", g, n)
		}
	}
	return nil
}

func argError(verb string, want string, got arrow.Array) error {
	return fmt.Errorf("%s aggregate: argument is %s, want %s", verb, got.DataType(), want)
}

func stateCountError(got, want int) error {
	return fmt.Errorf("merging aggregate state: got %d columns, want %d", got, want)
}
