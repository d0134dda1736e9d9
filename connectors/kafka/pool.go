package kafka

import (
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// recordPool lets franz-go reuse, for the next fetches, the record slabs
// and decompression buffers of records a split reader has decoded
// (kgo.WithPools; the reader calls Record.Recycle once it has copied what
// it needs). A reader's client otherwise allocates a few hundred bytes a
// record, more than the decoded batch itself, and on a busy topic the
// garbage collector's work for them was a fifth of the reader's CPU.
type recordPool struct {
	recs  sync.Pool // *[]kgo.Record
	bytes sync.Pool // *[]byte
}

var (
	_ kgo.PoolRecords         = (*recordPool)(nil)
	_ kgo.PoolDecompressBytes = (*recordPool)(nil)
)

// records is shared by the readers of every table: sync.Pool is safe
// for concurrent use and drops what stays unused across collections.
var records = &recordPool{}

func (p *recordPool) GetRecords(n int) []kgo.Record {
	if s, ok := p.recs.Get().(*[]kgo.Record); ok && cap(*s) >= n {
		return (*s)[:0]
	}
	return make([]kgo.Record, 0, n)
}

func (p *recordPool) PutRecords(s []kgo.Record) { p.recs.Put(&s) }

// GetDecompressBytes returns a kept buffer, or none: the codec grows it
// (or allocates) as needed, and what it used comes back here.
func (p *recordPool) GetDecompressBytes([]byte, kgo.CompressionCodecType) []byte {
	if s, ok := p.bytes.Get().(*[]byte); ok {
		return (*s)[:0]
	}
	return nil
}

func (p *recordPool) PutDecompressBytes(s []byte) { p.bytes.Put(&s) }
