package physical

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/logical"
)

// values evaluates each cell of a VALUES list once, at plan time.
func (p *Planner) values(ctx context.Context, n *logical.Values) (*operators.Stage, error) {
	schema := Schema(n.Cols)
	cols := make([]arrow.Array, len(n.Cols))
	defer operators.ReleaseAll(cols)
	for c, col := range n.Cols {
		cells := make([]arrow.Array, len(n.Rows))
		err := func() error {
			defer operators.ReleaseAll(cells)
			for r, row := range n.Rows {
				e, err := p.resolveSubqueries(ctx, row[c])
				if err != nil {
					return err
				}
				lit, err := expr.Fold(p.Ctx, e)
				if err != nil {
					return fmt.Errorf("evaluating VALUES row %d column %d: %w", r+1, c+1, err)
				}
				if cells[r], err = expr.MakeArray(p.Ctx.Mem, lit.Value, col.Type, 1); err != nil {
					return err
				}
			}
			if len(cells) == 0 {
				cols[c] = array.MakeArrayOfNull(p.Ctx.Mem, col.Type.ArrowType(), 0)
				return nil
			}
			var err error
			cols[c], err = array.Concatenate(cells, p.Ctx.Mem)
			return err
		}()
		if err != nil {
			return nil, fmt.Errorf("building VALUES: %w", err)
		}
	}
	batch := array.NewRecordBatch(schema, cols, int64(len(n.Rows)))
	src := operators.NewValues(schema, batch)
	p.held = append(p.held, src)
	return &operators.Stage{Name: "Values", Source: src}, nil
}
