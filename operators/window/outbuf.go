package window

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/operators"
)

// outBuf gathers output columns and emits them in batches of up to
// operators.BatchSize rows.
type outBuf struct {
	ctx     context.Context
	mem     memory.Allocator
	schema  *arrow.Schema
	emit    operators.Emit
	parts   [][]arrow.Array
	rows    int
	emitErr bool // the last error came from emit
}

// add takes cols (owned), one array per output column (with _op under
// changes).
func (o *outBuf) add(cols []arrow.Array) error {
	if len(cols) != o.schema.NumFields() {
		operators.ReleaseAll(cols)
		return fmt.Errorf("emitting window rows: built %d columns, schema has %d", len(cols), o.schema.NumFields())
	}
	n := cols[0].Len()
	if n == 0 {
		operators.ReleaseAll(cols)
		return nil
	}
	o.parts = append(o.parts, cols)
	o.rows += n
	if o.rows >= operators.BatchSize {
		return o.flush(false)
	}
	return nil
}

// flush emits the gathered rows; unless all, a last part shorter than
// BatchSize stays buffered.
func (o *outBuf) flush(all bool) error {
	if len(o.parts) == 0 {
		return nil
	}
	var cols []arrow.Array
	if len(o.parts) == 1 {
		cols = o.parts[0]
	} else {
		cols = make([]arrow.Array, o.schema.NumFields())
		for i := range cols {
			parts := make([]arrow.Array, len(o.parts))
			for p, pc := range o.parts {
				parts[p] = pc[i]
			}
			c, err := concat(o.mem, o.schema.Field(i).Type, parts)
			if err != nil {
				operators.ReleaseAll(cols)
				return err
			}
			cols[i] = c
		}
		for _, p := range o.parts {
			operators.ReleaseAll(p)
		}
	}
	o.parts, o.rows = nil, 0
	defer operators.ReleaseAll(cols)
	n := cols[0].Len()
	for lo := 0; lo < n; lo += operators.BatchSize {
		hi := min(lo+operators.BatchSize, n)
		part := make([]arrow.Array, len(cols))
		for i, c := range cols {
			part[i] = array.NewSlice(c, int64(lo), int64(hi))
		}
		if hi-lo < operators.BatchSize && !all {
			o.parts, o.rows = [][]arrow.Array{part}, hi-lo
			return nil
		}
		if err := o.ctx.Err(); err != nil {
			operators.ReleaseAll(part)
			return fmt.Errorf("emitting window rows: %w", err)
		}
		rec := array.NewRecordBatch(o.schema, part, int64(hi-lo))
		operators.ReleaseAll(part)
		if err := o.emit(rec); err != nil {
			o.emitErr = true
			return err
		}
	}
	return nil
}

func (o *outBuf) release() {
	for _, p := range o.parts {
		operators.ReleaseAll(p)
	}
	o.parts, o.rows = nil, 0
}
