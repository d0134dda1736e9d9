package bind

import (
	"context"
	"strings"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/logical"
	"github.com/streamsql/streamsql/planner/parse"
	"github.com/streamsql/streamsql/planner/types"
)

// tableAsOf binds `t FOR SYSTEM_TIME AS OF <time>` / `FOR SYSTEM_VERSION
// AS OF <id>`: a scan of the version of catalog table t that the constant
// expression names (catalog.Versioned).
func (b *binder) tableAsOf(t *parse.TableName) (*fromItem, error) {
	full := strings.Join(t.Name, ".")
	tab, view, err := b.lookup(t.Name)
	if err != nil {
		return nil, b.tableError(t, t.Name, err, nil)
	}
	if view != nil {
		return nil, b.errf(t, "view %q has no versions: time travel needs a table", full)
	}
	vt, ok := tab.(catalog.Versioned)
	if !ok {
		return nil, b.errf(t, "table %q keeps no versions: time travel needs a versioned table (Iceberg)", full)
	}
	clause := "FOR SYSTEM_TIME AS OF"
	if t.AsOfVersion {
		clause = "FOR SYSTEM_VERSION AS OF"
	}
	e, err := b.expr(&ectx{sc: &scope{}, clause: clause}, t.AsOf)
	if err != nil {
		return nil, err
	}
	want := types.TimestampType
	if t.AsOfVersion {
		want = types.BigintType
	}
	if lit, ok := e.(*logical.Literal); ok {
		if _, untyped := b.untyped[lit]; untyped {
			if e, err = b.coerceLit(lit, want); err != nil {
				return nil, err
			}
		}
	}
	if b.opts.Fold == nil {
		return nil, b.errf(t.AsOf, "%s is not supported here", clause)
	}
	lit, err := b.opts.Fold(e)
	if err != nil || lit == nil || lit.Value == nil {
		return nil, b.errf(t.AsOf, "%s wants a constant %s, got %s", clause, want, e.Type())
	}
	var versioned catalog.Table
	switch k := lit.T.Kind; {
	case t.AsOfVersion && (k == types.Bigint || k == types.Integer):
		id, _ := lit.Value.(int64)
		if v, ok := lit.Value.(int32); ok {
			id = int64(v)
		}
		versioned, err = vt.AsOfVersion(context.Background(), id)
	case !t.AsOfVersion && k == types.Timestamp:
		versioned, err = vt.AsOfTime(context.Background(), lit.Value.(int64))
	case !t.AsOfVersion && (k == types.Bigint || k == types.Integer):
		return nil, b.errf(t.AsOf, "%s wants a TIMESTAMP; use FOR SYSTEM_VERSION AS OF for a snapshot id", clause)
	default:
		return nil, b.errf(t.AsOf, "%s wants a constant %s, got %s", clause, want, lit.T)
	}
	if err != nil {
		return nil, b.errf(t.AsOf, "table %q %s: %v", full, clause, err)
	}
	qual := t.Alias
	if qual == "" {
		qual = t.Name[len(t.Name)-1]
	}
	return b.scanTable(t, t.Name, qual, versioned)
}
