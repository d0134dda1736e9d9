package pubsub

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

// Source is a subscription read as a stream (see the package doc).
type Source struct {
	o      options
	schema *arrow.Schema
	meta   map[int]string // column → metadata field it holds
	data   []int          // columns decoded from the payload, in order
}

var (
	_ catalog.Streamable = (*Source)(nil)
	_ catalog.Describer  = (*Source)(nil)
)

// Metadata columns a source fills when declared.
var metaColumns = map[string]bool{"_message_id": true, "_publish_time": true, "_ordering_key": true, "_attributes": true}

func newSource(o options, schema *arrow.Schema) (*Source, error) {
	s := &Source{o: o, schema: schema, meta: map[int]string{}}
	for i, f := range schema.Fields() {
		if metaColumns[strings.ToLower(f.Name)] {
			s.meta[i] = strings.ToLower(f.Name)
			continue
		}
		s.data = append(s.data, i)
	}
	return s, nil
}

// Schema implements catalog.Table.
func (s *Source) Schema() *arrow.Schema { return s.schema }

// Describe names the subscription.
func (s *Source) Describe() string {
	return "pubsub projects/" + s.o.project + "/subscriptions/" + s.o.subscription
}

// Scan implements catalog.Table: a subscription has no bounded contents.
func (s *Source) Scan(context.Context, catalog.ScanRequest) (catalog.BatchReader, error) {
	return nil, fmt.Errorf("scanning %s: a Pub/Sub subscription can only be read as a stream", s.Describe())
}

// OpenStream implements catalog.Streamable: one puller per split, each
// with its own client connection.
func (s *Source) OpenStream(ctx context.Context, req catalog.StreamRequest) ([]catalog.SplitReader, error) {
	mem := req.Alloc
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	var out []catalog.SplitReader
	for i := range s.o.splits {
		r, err := newReader(ctx, s, i, req, mem)
		if err != nil {
			for _, o := range out {
				o.Close()
			}
			return nil, fmt.Errorf("opening %s: %w", s.Describe(), err)
		}
		out = append(out, r)
	}
	return out, nil
}

// position is a reader's Position: the number of messages it has read,
// which CommitPosition acknowledges up to.
type position struct {
	Seq uint64 `json:"seq"`
}

func encodePosition(seq uint64) []byte {
	b, _ := json.Marshal(position{Seq: seq})
	return b
}

func decodePosition(b []byte) (uint64, error) {
	var p position
	if err := json.Unmarshal(b, &p); err != nil {
		return 0, fmt.Errorf("decoding Pub/Sub position %q: %w", b, err)
	}
	return p.Seq, nil
}
