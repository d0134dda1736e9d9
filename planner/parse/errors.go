package parse

import (
	"fmt"
	"strings"
)

// Error is a syntax error, or a later-phase (bind, plan) error, tied to a
// source position. It carries the source so the message can quote the
// offending line with a caret; in long multi-line statements a bare
// "line 7, column 12" is hard to act on.
type Error struct {
	Pos    Pos
	Msg    string
	Source string // the text Pos refers to; "" leaves the excerpt out
}

// NewError builds an *Error for src at pos. The binder and planner use it
// so semantic errors render exactly like syntax errors.
func NewError(src string, pos Pos, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...), Source: src}
}

// Error renders
//
//	line L, column C: <Msg>
//	<the source line>
//	<spaces>^
//
// with the caret under column C. Tabs before the column are kept as tabs
// so the caret lines up however the terminal expands them.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d, column %d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
	line, ok := sourceLine(e.Source, e.Pos.Line)
	if !ok {
		return b.String()
	}
	b.WriteByte('\n')
	b.WriteString(line)
	b.WriteByte('\n')
	col := 1
	for _, r := range line {
		if col >= e.Pos.Col {
			break
		}
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
		col++
	}
	for ; col < e.Pos.Col; col++ {
		b.WriteByte(' ')
	}
	b.WriteByte('^')
	return b.String()
}

// sourceLine returns line n (1-based) of src without its line terminator.
func sourceLine(src string, n int) (string, bool) {
	if src == "" || n < 1 {
		return "", false
	}
	for i := 1; i < n; i++ {
		nl := strings.IndexByte(src, '\n')
		if nl < 0 {
			return "", false
		}
		src = src[nl+1:]
	}
	if nl := strings.IndexByte(src, '\n'); nl >= 0 {
		src = src[:nl]
	}
	return strings.TrimSuffix(src, "\r"), true
}
