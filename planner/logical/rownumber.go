package logical

import "fmt"

// RowNumber numbers the rows of each partition in order, 1, 2, …:
// ROW_NUMBER() OVER (PARTITION BY Partition ORDER BY Order) as Col, after
// the input's columns. Over a stream the planner accepts it only filtered
// to the first rows (deduplication, top-N per window).
type RowNumber struct {
	Input     Node
	Partition []Expr
	Order     []SortKey
	Col       Column
}

func (n *RowNumber) Schema() []Column {
	return append(append([]Column{}, n.Input.Schema()...), n.Col)
}
func (n *RowNumber) Children() []Node { return []Node{n.Input} }
func (n *RowNumber) WithChildren(c ...Node) (Node, error) {
	if err := want(n, c, 1); err != nil {
		return nil, err
	}
	m := *n
	m.Input = c[0]
	return &m, nil
}
func (*RowNumber) node() {}
func (n *RowNumber) String() string {
	s := "RowNumber: partition=[" + joinExprs(n.Partition) + "]"
	if len(n.Order) > 0 {
		s += " order=[" + sortKeys(n.Order) + "]"
	}
	return s + fmt.Sprintf(" AS %s#%d", n.Col.Name, n.Col.ID)
}
