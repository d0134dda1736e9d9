package window

import "fmt"

// Kind is the kind of window.
type Kind int

const (
	// Tumble windows are fixed, non-overlapping: a row at t is in
	// [floor(t/Size)*Size, +Size).
	Tumble Kind = iota
	// Hop windows have length Size and start every Slide: a row is in
	// Size/Slide windows.
	Hop
	// Session windows are per group key: rows less than Gap apart share a
	// session [first, last+Gap).
	Session
	// Global is no window: GROUP BY without a window over a stream, one
	// window that never closes. Its output has no window_start/window_end
	// columns; it ignores event time and drops no rows as late.
	Global
)

var kindNames = [...]string{"tumble", "hop", "session", "global"}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// EmitMode says when the aggregate emits.
type EmitMode int

const (
	// OnWindowClose emits each window's final rows once, when the
	// watermark closes it (append-only output).
	OnWindowClose EmitMode = iota
	// Changes emits, after every batch (or every Spec.EmitEvery), a
	// retraction of the previous result and the new result of every
	// (window, group) touched since the last emission (an updating
	// changelog with the _op column).
	Changes
)

var emitNames = [...]string{"on window close", "changes"}

func (m EmitMode) String() string {
	if m >= 0 && int(m) < len(emitNames) {
		return emitNames[m]
	}
	return fmt.Sprintf("EmitMode(%d)", int(m))
}
