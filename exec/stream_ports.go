package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
)

// port is the outgoing end of an edge. send transfers ownership of the
// message's batch, also when it fails. A port is used by one goroutine.
type port interface {
	send(ctx context.Context, m message) error
}

// directPort delivers into the consumer's inbox on the caller's
// goroutine: chained operators in Run mode, everything in Poll mode.
type directPort struct {
	in  *inbox
	sub int
}

func (p directPort) send(ctx context.Context, m message) error { return p.in.deliver(ctx, p.sub, m) }

// chanPort sends into the consumer's bounded channel, waiting while it is
// full (backpressure) unless ctx ends.
type chanPort chan message

func (p chanPort) send(ctx context.Context, m message) error {
	select {
	case p <- m:
		return nil
	case <-ctx.Done():
		m.release()
		return ctx.Err()
	}
}

// partitionPort feeds the instances of a key-partitioned stage: each batch
// is split by the hash of its key columns, one sub-batch per instance that
// gets rows; watermarks, barriers and the end go to every instance.
type partitionPort struct {
	mem  memory.Allocator
	keys []int
	outs []port
	// scratch
	hashes []uint64
	idx    [][]int32
}

func newPartitionPort(mem memory.Allocator, keys []int, outs []port) *partitionPort {
	return &partitionPort{mem: mem, keys: keys, outs: outs, idx: make([][]int32, len(outs))}
}

// partitioner returns a port of the same partitioning with no outputs, for
// another goroutine to split batches ahead with (see message.parts).
func (p *partitionPort) partitioner() *partitionPort {
	return &partitionPort{mem: p.mem, keys: p.keys, idx: make([][]int32, len(p.outs))}
}

func (p *partitionPort) send(ctx context.Context, m message) error {
	if m.kind != msgBatch {
		for _, o := range p.outs {
			if err := o.send(ctx, m); err != nil {
				return err
			}
		}
		return nil
	}
	parts := m.parts
	if parts == nil {
		var err error
		if parts, err = p.partition(m.batch); err != nil {
			return err
		}
	}
	for k, part := range parts {
		if part == nil {
			continue
		}
		parts[k] = nil
		if err := p.outs[k].send(ctx, message{kind: msgBatch, batch: part}); err != nil {
			message{parts: parts}.release()
			return err
		}
	}
	return nil
}

// partition splits b (consumed) into one batch per instance, nil where an
// instance gets no row.
func (p *partitionPort) partition(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	defer b.Release()
	if err := p.split(b); err != nil {
		return nil, err
	}
	parts := make([]arrow.RecordBatch, len(p.idx))
	for k, idx := range p.idx {
		switch {
		case len(idx) == 0:
		case len(idx) == int(b.NumRows()):
			b.Retain() // every row hashes here: no copy
			parts[k] = b
		default:
			part, err := operators.TakeBatch(p.mem, b, idx, nil)
			if err != nil {
				message{parts: parts}.release()
				return nil, fmt.Errorf("partitioning batch: %w", err)
			}
			parts[k] = part
		}
	}
	return parts, nil
}

// split fills p.idx with the rows of b going to each instance.
func (p *partitionPort) split(b arrow.RecordBatch) error {
	p.hashes = hashRows(p.hashes, int(b.NumRows()))
	for _, c := range p.keys {
		if c < 0 || c >= int(b.NumCols()) {
			return fmt.Errorf("partitioning batch: key column %d out of range [0, %d)", c, b.NumCols())
		}
		if err := hashColumn(p.hashes, b.Column(c)); err != nil {
			return fmt.Errorf("partitioning batch: %w", err)
		}
	}
	for k := range p.idx {
		p.idx[k] = p.idx[k][:0]
	}
	n := uint64(len(p.idx))
	for i, h := range p.hashes {
		k := partitionOf(h, n)
		p.idx[k] = append(p.idx[k], int32(i))
	}
	return nil
}
