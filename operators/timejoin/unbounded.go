package timejoin

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// newUnbounded finishes newIntervalJoin for IntervalSpec.Unbounded: the
// bounds are unused, and so are the time columns, which may be -1 (a
// given one must still be a TIMESTAMP column).
func newUnbounded(c core, spec IntervalSpec, types []arrow.DataType) (*IntervalJoin, error) {
	if spec.LeftOuter {
		return nil, fmt.Errorf("an unbounded join must be INNER: a LEFT JOIN row is never proven unmatched")
	}
	if spec.LeftTime != -1 {
		if err := checkTime(spec.Left, spec.LeftTime, "left time"); err != nil {
			return nil, err
		}
	}
	if spec.RightTime != -1 {
		if err := checkTime(spec.Right, spec.RightTime, "right time"); err != nil {
			return nil, err
		}
	}
	spec.LeftKeys = append([]int(nil), spec.LeftKeys...)
	spec.RightKeys = append([]int(nil), spec.RightKeys...)
	spec.Names = append([]string(nil), spec.Names...)
	kind := keyKindOf(types)
	return &IntervalJoin{core: c, spec: spec, kind: kind, enc: keyEncoder{kind: kind}}, nil
}
