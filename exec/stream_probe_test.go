package exec

// Test operators and outputs: a probe operator logging its calls, and a
// dead-letter output recording what it got.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
)

// probeOp passes its inputs through and logs its calls: "b<input>:<first
// ts>", "wm:<wm>", "end<input>", "snap:<rows>". It is Stateful (its row
// count), a StateReporter (bytesPerRow per row seen), and with dropLate
// a LateRouter dropping rows behind its watermark.
type probeOp struct {
	inputs      int
	bytesPerRow int64
	dropLate    bool
	failAfter   int // ProcessBatch calls before failing (or panicking); 0: never
	panicking   bool
	// Faults of Open, Snapshot and Restore.
	openErr, snapErr, restoreErr error

	log     []string
	rows    int64
	calls   int
	wm      int64
	late    int64
	lateOut func(arrow.RecordBatch, string) error
	mem     memory.Allocator
}

var (
	_ operators.Watermarked   = (*probeOp)(nil)
	_ operators.Stateful      = (*probeOp)(nil)
	_ operators.StateReporter = (*probeOp)(nil)
	_ operators.LateRouter    = (*probeOp)(nil)
)

func newProbe(inputs int) *probeOp { return &probeOp{inputs: inputs, wm: noWatermark} }

func (p *probeOp) Schema() *arrow.Schema { return evSchema }
func (p *probeOp) Open(_ context.Context, mem memory.Allocator) error {
	p.mem = mem
	return p.openErr
}

func (p *probeOp) ProcessBatch(_ context.Context, input int, b arrow.RecordBatch, emit operators.Emit) error {
	p.calls++
	if p.failAfter > 0 && p.calls >= p.failAfter {
		if p.panicking {
			panic("operator bug")
		}
		return errors.New("operator failed")
	}
	p.log = append(p.log, fmt.Sprintf("b%d:%s", input, renderRow(b, 0)))
	p.rows += b.NumRows()
	if p.dropLate && p.lateOut != nil {
		return p.splitLate(b, emit)
	}
	b.Retain()
	return emit(b)
}

// splitLate emits the rows at or after the watermark and routes the rest.
func (p *probeOp) splitLate(b arrow.RecordBatch, emit operators.Emit) error {
	ts := b.Column(0).(*array.Timestamp)
	var keep, late []int32
	for i := 0; i < ts.Len(); i++ {
		if int64(ts.Value(i)) < p.wm {
			late = append(late, int32(i))
		} else {
			keep = append(keep, int32(i))
		}
	}
	if len(late) > 0 {
		p.late += int64(len(late))
		lb, err := operators.TakeBatch(p.mem, b, late, nil)
		if err != nil {
			return err
		}
		if err := p.lateOut(lb, "late event: behind the watermark"); err != nil {
			return err
		}
	}
	kb, err := operators.TakeBatch(p.mem, b, keep, nil)
	if err != nil {
		return err
	}
	return emit(kb)
}

func (p *probeOp) OnWatermark(_ context.Context, wm int64, _ operators.Emit) error {
	p.wm = wm
	p.log = append(p.log, "wm:"+fmtWM(wm))
	return nil
}

func (p *probeOp) EndOfInput(_ context.Context, input int, _ operators.Emit) error {
	p.log = append(p.log, fmt.Sprintf("end%d", input))
	return nil
}

func (p *probeOp) Close() error { return nil }

func (p *probeOp) Snapshot(_ context.Context, w io.Writer) error {
	p.log = append(p.log, fmt.Sprintf("snap:%d", p.rows))
	if p.snapErr != nil {
		return p.snapErr
	}
	return binary.Write(w, binary.LittleEndian, p.rows)
}

func (p *probeOp) Restore(_ context.Context, r io.Reader) error {
	if p.restoreErr != nil {
		return p.restoreErr
	}
	return binary.Read(r, binary.LittleEndian, &p.rows)
}

func (p *probeOp) StateBytes() int64 { return p.rows * p.bytesPerRow }
func (p *probeOp) LateRows() int64   { return p.late }
func (p *probeOp) RouteLate(sink func(arrow.RecordBatch, string) error) {
	p.lateOut = sink
}

// deadLetters records what the job dead-lettered.
type deadLetters struct {
	mu   sync.Mutex
	raw  []string
	rows []string
	err  error // returned by every call
}

func (d *deadLetters) Raw(_ context.Context, raw []byte, reason string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.raw = append(d.raw, string(raw)+" | "+reason)
	return d.err
}

func (d *deadLetters) Rows(_ context.Context, b arrow.RecordBatch, reason string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := 0; i < int(b.NumRows()); i++ {
		d.rows = append(d.rows, renderRow(b, i)+" | "+reason)
	}
	return d.err
}
