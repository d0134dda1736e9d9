package logical

import (
	"fmt"

	"github.com/streamsql/streamsql/planner/types"
)

// Streaming windows appear in plans as the group keys window_start and
// window_end of an Aggregate: calls of the pseudo-functions below over the
// event-time expression. They are not scalar functions (a row of a hopping
// window belongs to several windows), so only the streaming planner
// evaluates them, and rules treat them as volatile (never moved or folded).
const (
	WindowStartFunc = "$window_start"
	WindowEndFunc   = "$window_end"
)

// WindowKind is the kind of a streaming window.
type WindowKind int

// The window kinds.
const (
	TumbleWindow WindowKind = iota
	HopWindow
	SessionWindow
)

func (k WindowKind) String() string {
	switch k {
	case TumbleWindow:
		return "tumble"
	case HopWindow:
		return "hop"
	case SessionWindow:
		return "session"
	}
	return fmt.Sprintf("WindowKind(%d)", int(k))
}

// Window describes a streaming window over the event time Time. Sizes
// are in µs: Tumble uses Size, Hop Slide and Size, Session Gap.
type Window struct {
	Kind             WindowKind
	Size, Slide, Gap int64
	// Offset shifts tumbling and hopping windows off the epoch (date_bin's
	// origin); window keys of table functions have none.
	Offset int64
	Time   Expr
}

// Call makes the window_start (end false) or window_end key of w.
func (w Window) Call(end bool) *Call {
	f := WindowStartFunc
	if end {
		f = WindowEndFunc
	}
	lit := func(v int64) Expr { return &Literal{Value: v, T: types.BigintType} }
	return &Call{Func: f, T: types.TimestampType,
		Args: []Expr{w.Time, lit(int64(w.Kind)), lit(w.Size), lit(w.Slide), lit(w.Gap)}}
}

// AsWindow reports whether e is a window key, which window and whether it
// is the end bound.
func AsWindow(e Expr) (w Window, end bool, ok bool) {
	c, isCall := e.(*Call)
	if !isCall || (c.Func != WindowStartFunc && c.Func != WindowEndFunc) || len(c.Args) != 5 {
		return Window{}, false, false
	}
	var v [4]int64
	for i := range v {
		l, isLit := c.Args[i+1].(*Literal)
		if !isLit {
			return Window{}, false, false
		}
		if v[i], ok = l.Value.(int64); !ok {
			return Window{}, false, false
		}
	}
	return Window{Kind: WindowKind(v[0]), Size: v[1], Slide: v[2], Gap: v[3], Time: c.Args[0]}, c.Func == WindowEndFunc, true
}

// Same reports whether w and o are the same window over the same time
// expression.
func (w Window) Same(o Window) bool {
	return w.Kind == o.Kind && w.Size == o.Size && w.Slide == o.Slide && w.Gap == o.Gap && w.Offset == o.Offset && w.Time.String() == o.Time.String()
}
