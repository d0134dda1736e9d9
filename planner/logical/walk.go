package logical

// Walk calls f on e and every subexpression, parents first; it does not
// enter the plans of subqueries.
func Walk(e Expr, f func(Expr)) {
	if e == nil {
		return
	}
	f(e)
	switch e := e.(type) {
	case *Call:
		for _, a := range e.Args {
			Walk(a, f)
		}
	case *Cast:
		Walk(e.X, f)
	case *Case:
		for _, w := range e.Whens {
			Walk(w.Cond, f)
			Walk(w.Result, f)
		}
		Walk(e.Else, f)
	case *InList:
		Walk(e.X, f)
		for _, a := range e.List {
			Walk(a, f)
		}
	}
}
