package rules

import (
	"math"

	"github.com/streamsql/streamsql/planner/logical"
)

// LimitPushdown moves LIMIT towards the data:
//
//   - LIMIT 0 becomes an empty Values; LIMIT ALL OFFSET 0 disappears;
//   - a Limit over a Sort becomes a TopN (when it has a count);
//   - a Limit over a Limit, or over a TopN, merges into one;
//   - a Limit over a Project moves below it;
//   - a Limit over a Union (ALL) stays, and each input that may yield more
//     rows gets its own Limit(count+offset);
//   - a Limit directly over a Scan stays and sets the scan's Limit hint to
//     count+offset.
type LimitPushdown struct{}

// Name implements Rule.
func (LimitPushdown) Name() string { return "limit_pushdown" }

// Apply implements Rule.
func (LimitPushdown) Apply(n logical.Node, _ *Context) (logical.Node, bool, error) {
	out, _, err := TransformUp(n, func(x logical.Node) (logical.Node, bool, error) {
		if l, ok := x.(*logical.Limit); ok {
			return pushLimit(l), true, nil
		}
		return x, false, nil
	})
	if err != nil {
		return n, false, err
	}
	return changedResult(n, out)
}

// addRows is a+b, or false on overflow.
func addRows(a, b int64) (int64, bool) {
	if a < 0 || b < 0 || a > math.MaxInt64-b {
		return 0, false
	}
	return a + b, true
}

// afterOffset is how many of count rows remain after skipping off (count
// -1 meaning all).
func afterOffset(count, off int64) int64 {
	if count < 0 {
		return -1
	}
	if count <= off {
		return 0
	}
	return count - off
}

// minCount is the smaller of two counts where -1 means unbounded.
func minCount(a, b int64) int64 {
	switch {
	case a < 0:
		return b
	case b < 0:
		return a
	case a < b:
		return a
	}
	return b
}

func pushLimit(l *logical.Limit) logical.Node {
	if l.Count == 0 {
		return emptyValues(l.Schema())
	}
	if l.Count < 0 && l.Offset == 0 {
		return l.Input
	}
	switch in := l.Input.(type) {
	case *logical.Sort:
		if l.Count > 0 {
			return &logical.TopN{Input: in.Input, Keys: in.Keys, Count: l.Count, Offset: l.Offset}
		}
	case *logical.Limit:
		off, ok := addRows(in.Offset, l.Offset)
		if ok {
			count := minCount(l.Count, afterOffset(in.Count, l.Offset))
			return pushLimit(&logical.Limit{Input: in.Input, Count: count, Offset: off})
		}
	case *logical.TopN:
		off, ok := addRows(in.Offset, l.Offset)
		if ok {
			count := minCount(l.Count, afterOffset(in.Count, l.Offset))
			if count == 0 {
				return emptyValues(l.Schema())
			}
			return &logical.TopN{Input: in.Input, Keys: in.Keys, Count: count, Offset: off}
		}
	case *logical.Project:
		below := pushLimit(&logical.Limit{Input: in.Input, Count: l.Count, Offset: l.Offset})
		return &logical.Project{Input: below, Exprs: in.Exprs, Cols: in.Cols}
	case *logical.Union:
		total, ok := addRows(l.Count, l.Offset)
		if !ok {
			break
		}
		inputs := make([]logical.Node, len(in.Inputs))
		changed := false
		for i, x := range in.Inputs {
			if m := maxRows(x); m >= 0 && m <= total {
				inputs[i] = x
				continue
			}
			inputs[i] = pushLimit(&logical.Limit{Input: x, Count: total})
			changed = true
		}
		if changed {
			return &logical.Limit{Input: &logical.Union{Inputs: inputs, Cols: in.Cols}, Count: l.Count, Offset: l.Offset}
		}
	case *logical.Scan:
		total, ok := addRows(l.Count, l.Offset)
		if ok && (in.Limit < 0 || in.Limit > total) {
			s := *in
			s.Limit = total
			return &logical.Limit{Input: &s, Count: l.Count, Offset: l.Offset}
		}
	}
	return l
}

// maxRows is an upper bound on the rows n yields, or -1 when unknown.
func maxRows(n logical.Node) int64 {
	switch x := n.(type) {
	case *logical.Values:
		return int64(len(x.Rows))
	case *logical.Limit:
		return minCount(x.Count, afterOffset(maxRows(x.Input), x.Offset))
	case *logical.TopN:
		return x.Count
	case *logical.Project, *logical.Filter, *logical.Sort, *logical.Distinct:
		return maxRows(x.Children()[0])
	case *logical.Aggregate:
		if len(x.GroupBy) == 0 {
			return 1
		}
		return maxRows(x.Input)
	case *logical.Union:
		var sum int64
		for _, in := range x.Inputs {
			m := maxRows(in)
			s, ok := addRows(sum, m)
			if m < 0 || !ok {
				return -1
			}
			sum = s
		}
		return sum
	}
	return -1
}
