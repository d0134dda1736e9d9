package optest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// Stateful is what Restart needs of an operator: operators.Stateful and
// Close (restated here, since the operators package's own tests import
// this one).
type Stateful interface {
	Snapshot(ctx context.Context, w io.Writer) error
	Restore(ctx context.Context, r io.Reader) error
	Close() error
}

// Restart snapshots op, closes it and restores the snapshot into the
// operator open returns (made and opened), which it returns: the restart
// after a crash, as exec does it. Failures fail t.
func Restart[T Stateful](t testing.TB, op T, open func() T) T {
	t.Helper()
	var buf bytes.Buffer
	if err := op.Snapshot(context.Background(), &buf); err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if err := op.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	op = open()
	if err := op.Restore(context.Background(), &buf); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	return op
}

// CheckEmitted reports an emitted batch whose schema is not want or that
// has more than maxRows rows.
func CheckEmitted(t testing.TB, b arrow.RecordBatch, want *arrow.Schema, maxRows int64) {
	t.Helper()
	if !b.Schema().Equal(want) {
		t.Errorf("emitted schema %s, want %s", b.Schema(), want)
	}
	if b.NumRows() > maxRows {
		t.Errorf("emitted %d rows, more than %d", b.NumRows(), maxRows)
	}
}

// ErrWrite is the error of a FailWriter's failing writes.
var ErrWrite = errors.New("write failed")

// FailWriter is an io.Writer whose first After writes succeed (and are
// discarded); the later ones fail with ErrWrite.
type FailWriter struct{ After int }

func (w *FailWriter) Write(p []byte) (int, error) {
	if w.After <= 0 {
		return 0, ErrWrite
	}
	w.After--
	return len(p), nil
}
