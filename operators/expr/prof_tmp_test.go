package expr

import (
	"testing"
)

func TestProfOne(t *testing.T) {
	rec, refs, layout := benchBatch(false)
	defer rec.Release()
	e, _ := bindSQL(sqlUnderProf, refs)
	ev, _ := Compile(e, layout)
	ctx := &Context{}
	for k := 0; k < 2000; k++ {
		out, _ := ev.Eval(ctx, rec)
		out.Release()
	}
}
