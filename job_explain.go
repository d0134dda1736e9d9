package streamsql

import (
	"fmt"
	"strings"
	"time"

	"github.com/streamsql/streamsql/operators"
)

// ExplainStages prints a streaming pipeline's operator tree, root first:
// each stage with what makes it stateful or parallel.
func ExplainStages(root *operators.Stage) string {
	var b strings.Builder
	var walk func(s *operators.Stage, depth int)
	walk = func(s *operators.Stage, depth int) {
		b.WriteString(strings.Repeat("  ", depth))
		b.WriteString(s.Name)
		var notes []string
		if sc := s.Stream; sc != nil {
			if sc.TimeCol >= 0 {
				notes = append(notes, fmt.Sprintf("event time %s, watermark delay %s", sc.Schema.Field(sc.TimeCol).Name, time.Duration(sc.Delay)*time.Microsecond))
			} else {
				notes = append(notes, "no event time")
			}
			if sc.IdleTimeout > 0 {
				notes = append(notes, "idle timeout "+sc.IdleTimeout.String())
			}
		}
		if s.Source != nil {
			notes = append(notes, "bounded, read first")
		}
		if len(s.KeyCols) > 0 {
			notes = append(notes, "key-partitioned")
		}
		if _, ok := s.Op.(operators.Stateful); ok {
			notes = append(notes, "checkpointed state")
		}
		if len(notes) > 0 {
			b.WriteString(" (" + strings.Join(notes, "; ") + ")")
		}
		b.WriteString("\n")
		for _, in := range s.Inputs {
			walk(in, depth+1)
		}
	}
	walk(root, 0)
	return b.String()
}
