package nexmark

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// build generates the rows ids (all of kind k), column by column, straight
// into Arrow buffers: builders cost more per value than generating it.
func (g *Generator) build(mem memory.Allocator, k Kind, sc *arrow.Schema, cols []int, ids []int64) arrow.RecordBatch {
	arrs := make([]arrow.Array, len(cols))
	switch k {
	case Bid:
		var chans []int // channel and url share one draw
		for i, c := range cols {
			if (c == 3 || c == 4) && chans == nil {
				chans = make([]int, len(ids))
				for j, e := range ids {
					chans[j] = g.bidChannel(e)
				}
			}
			arrs[i] = g.bidColumn(mem, c, ids, chans)
		}
	case Person:
		rows := make([]personRow, len(ids))
		for i, e := range ids {
			rows[i] = g.person(e)
		}
		for i, c := range cols {
			arrs[i] = personColumn(mem, c, rows)
		}
	case Auction:
		rows := make([]auctionRow, len(ids))
		for i, e := range ids {
			rows[i] = g.auction(e)
		}
		for i, c := range cols {
			arrs[i] = auctionColumn(mem, c, rows)
		}
	}
	rec := array.NewRecordBatch(sc, arrs, int64(len(ids)))
	for _, a := range arrs {
		a.Release()
	}
	return rec
}

// bidColumn generates bid column c; the hot path of the generator (bids
// are 92% of events), so no row structs and no formatting.
func (g *Generator) bidColumn(mem memory.Allocator, c int, ids []int64, chans []int) arrow.Array {
	switch c {
	case 0:
		return int64Array(mem, i64, ids, g.bidAuction)
	case 1:
		return int64Array(mem, i64, ids, g.bidBidder)
	case 2:
		return int64Array(mem, i64, ids, g.bidPrice)
	case 3, 4:
		tab := g.channels
		if c == 4 {
			tab = g.urls
		}
		return stringArray(mem, len(chans), func(i int) string { return tab[chans[i]] })
	case 5:
		return int64Array(mem, ts, ids, g.timeUs)
	}
	extras := make([]string, len(ids))
	for i, e := range ids {
		extras[i] = g.bidExtra(e)
	}
	return stringArray(mem, len(ids), func(i int) string { return extras[i] })
}

func personColumn(mem memory.Allocator, c int, rows []personRow) arrow.Array {
	switch c {
	case 0:
		return int64Array(mem, i64, rows, func(p personRow) int64 { return p.id })
	case 6:
		return int64Array(mem, ts, rows, func(p personRow) int64 { return p.timeUs })
	}
	return stringArray(mem, len(rows), func(i int) string {
		p := &rows[i]
		return [...]string{1: p.name, 2: p.email, 3: p.card, 4: p.city, 5: p.state, 7: p.extra}[c]
	})
}

func auctionColumn(mem memory.Allocator, c int, rows []auctionRow) arrow.Array {
	switch c {
	case 1, 2, 9:
		return stringArray(mem, len(rows), func(i int) string {
			a := &rows[i]
			return [...]string{1: a.name, 2: a.desc, 9: a.extra}[c]
		})
	case 5, 6:
		return int64Array(mem, ts, rows, func(a auctionRow) int64 { return [...]int64{5: a.timeUs, 6: a.expiresUs}[c] })
	}
	return int64Array(mem, i64, rows, func(a auctionRow) int64 {
		return [...]int64{0: a.id, 3: a.initialBid, 4: a.reserve, 7: a.seller, 8: a.category}[c]
	})
}

// int64Array is an Int64 or Timestamp array without nulls of f over xs.
func int64Array[T any](mem memory.Allocator, typ arrow.DataType, xs []T, f func(T) int64) arrow.Array {
	buf := memory.NewResizableBuffer(mem)
	defer buf.Release()
	buf.Resize(len(xs) * 8)
	vals := arrow.Int64Traits.CastFromBytes(buf.Bytes())
	for i, x := range xs {
		vals[i] = f(x)
	}
	d := array.NewData(typ, len(xs), []*memory.Buffer{nil, buf}, nil, 0, 0)
	defer d.Release()
	return array.MakeFromData(d)
}

// stringArray is a String array without nulls of n values from at(i),
// which must be cheap and return the same string each time: it is called
// twice, to size the data buffer and to fill it.
func stringArray(mem memory.Allocator, n int, at func(int) string) arrow.Array {
	offs := memory.NewResizableBuffer(mem)
	defer offs.Release()
	offs.Resize((n + 1) * 4)
	o := arrow.Int32Traits.CastFromBytes(offs.Bytes())
	pos := 0
	for i := range n {
		o[i] = int32(pos)
		pos += len(at(i))
	}
	o[n] = int32(pos)
	data := memory.NewResizableBuffer(mem)
	defer data.Release()
	data.Resize(pos)
	b := data.Bytes()
	for i := range n {
		copy(b[o[i]:o[i+1]], at(i))
	}
	d := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{nil, offs, data}, nil, 0, 0)
	defer d.Release()
	return array.MakeFromData(d)
}
