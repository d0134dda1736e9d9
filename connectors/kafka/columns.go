package kafka

import (
	"encoding/json"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/planner/types"
)

// metaKind names a metadata column: filled from the record, not decoded
// from its value.
type metaKind int

const (
	metaTopic metaKind = iota
	metaPartition
	metaOffset
	metaKey
	metaHeaders
	metaTimestamp
)

// metaColumns are the metadata columns with their types.
var metaColumns = []struct {
	name string
	kind types.Kind
}{
	metaTopic:     {"_topic", types.Varchar},
	metaPartition: {"_partition", types.Integer},
	metaOffset:    {"_offset", types.Bigint},
	metaKey:       {"_key", types.Varchar},
	metaHeaders:   {"_headers", types.JSON},
	metaTimestamp: {"_timestamp", types.Timestamp},
}

func metaKindOf(name string) (metaKind, bool) {
	for i, m := range metaColumns {
		if m.name == name {
			return metaKind(i), true
		}
	}
	return 0, false
}

func metaNames() []string {
	out := make([]string, len(metaColumns))
	for i, m := range metaColumns {
		out[i] = m.name
	}
	return out
}

func metaField(k metaKind) arrow.Field {
	return types.Field(metaColumns[k].name, types.Type{Kind: metaColumns[k].kind}, true)
}

// layout says where each table column comes from: the decoded payload
// (its index in the payload schema) or the record's metadata.
type layout struct {
	schema  *arrow.Schema // the table's
	payload *arrow.Schema // the columns decoded from the value
	src     []colSource
}

type colSource struct {
	meta    bool
	kind    metaKind // when meta
	payload int      // when !meta
}

// newLayout splits a table schema into payload and metadata columns. A
// column named like a metadata column must have its type.
func newLayout(schema *arrow.Schema) (*layout, error) {
	l := &layout{schema: schema, src: make([]colSource, schema.NumFields())}
	var payload []arrow.Field
	for i, f := range schema.Fields() {
		if k, ok := metaKindOf(f.Name); ok {
			want := metaColumns[k].kind
			got, err := types.FromField(f)
			if err != nil || got.Kind != want {
				return nil, fmt.Errorf("metadata column %s must be %s, not %s", f.Name, types.Type{Kind: want}, f.Type)
			}
			l.src[i] = colSource{meta: true, kind: k}
			continue
		}
		l.src[i] = colSource{payload: len(payload)}
		payload = append(payload, f)
	}
	l.payload = arrow.NewSchema(payload, nil)
	return l, nil
}

// metaBuilder accumulates the metadata columns a request asked for, one
// row per decoded record.
type metaBuilder struct {
	kinds    []metaKind
	builders []array.Builder
	hdr      []byte
}

func newMetaBuilder(mem memory.Allocator, kinds []metaKind) *metaBuilder {
	m := &metaBuilder{kinds: kinds}
	for _, k := range kinds {
		m.builders = append(m.builders, array.NewBuilder(mem, metaField(k).Type))
	}
	return m
}

// add appends rec's metadata as one row.
func (m *metaBuilder) add(rec *kgo.Record) {
	for i, k := range m.kinds {
		switch b := m.builders[i].(type) {
		case *array.StringBuilder:
			switch k {
			case metaTopic:
				b.Append(rec.Topic)
			case metaKey:
				if rec.Key == nil {
					b.AppendNull()
				} else {
					b.Append(string(rec.Key))
				}
			case metaHeaders:
				m.hdr = appendHeaders(m.hdr[:0], rec.Headers)
				b.BinaryBuilder.Append(m.hdr)
			}
		case *array.Int32Builder:
			b.Append(rec.Partition)
		case *array.Int64Builder:
			b.Append(rec.Offset)
		case *array.TimestampBuilder:
			b.Append(arrow.Timestamp(rec.Timestamp.UnixMicro()))
		}
	}
}

// appendHeaders renders headers as a JSON object of strings; a repeated
// key keeps its last value.
func appendHeaders(dst []byte, hs []kgo.RecordHeader) []byte {
	dst = append(dst, '{')
	seen := map[string]int{}
	var keep []kgo.RecordHeader
	for _, h := range hs {
		if i, ok := seen[h.Key]; ok {
			keep[i] = h
			continue
		}
		seen[h.Key] = len(keep)
		keep = append(keep, h)
	}
	for i, h := range keep {
		if i > 0 {
			dst = append(dst, ',')
		}
		k, _ := json.Marshal(h.Key) // strings always marshal
		v, _ := json.Marshal(string(h.Value))
		dst = append(append(append(dst, k...), ':'), v...)
	}
	return append(dst, '}')
}

// arrays returns the accumulated columns, owned by the caller.
func (m *metaBuilder) arrays() []arrow.Array {
	out := make([]arrow.Array, len(m.builders))
	for i, b := range m.builders {
		out[i] = b.NewArray()
	}
	return out
}

func (m *metaBuilder) release() {
	for _, b := range m.builders {
		b.Release()
	}
	m.builders = nil
}
