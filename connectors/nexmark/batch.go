package nexmark

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// appendIDs appends the event ids of kind k in [from, to), at most limit
// of them, and returns the id after the last one considered.
func appendIDs(ids []int64, k Kind, from, to int64, limit int) ([]int64, int64) {
	e := from
	for len(ids) < limit {
		e = firstOfKind(k, e)
		if e >= to {
			return ids, to
		}
		ids = append(ids, e)
		e++
	}
	return ids, min(e, to)
}

// Batch returns the rows of kind k among event ids [from, to) with the
// columns cols (table ordinals, in output order; nil for all). The batch
// is owned by the caller.
func (g *Generator) Batch(mem memory.Allocator, k Kind, cols []int, from, to int64) (arrow.RecordBatch, error) {
	sc, cols, err := project(k, cols)
	if err != nil {
		return nil, err
	}
	if from < 0 || to < from {
		return nil, fmt.Errorf("generating nexmark %s: bad event range [%d, %d)", k, from, to)
	}
	ids, _ := appendIDs(nil, k, from, to, int(countOfKind(k, to)-countOfKind(k, from)))
	return g.build(mem, k, sc, cols, ids), nil
}

// project resolves cols (nil: all) against the table's schema.
func project(k Kind, cols []int) (*arrow.Schema, []int, error) {
	full := Schema(k)
	if cols == nil {
		cols = make([]int, full.NumFields())
		for i := range cols {
			cols[i] = i
		}
		return full, cols, nil
	}
	fs := make([]arrow.Field, len(cols))
	for i, c := range cols {
		if c < 0 || c >= full.NumFields() {
			return nil, nil, fmt.Errorf("projecting nexmark %s: column %d out of range [0, %d)", k, c, full.NumFields())
		}
		fs[i] = full.Field(c)
	}
	return arrow.NewSchema(fs, nil), cols, nil
}

// AppendJSON appends one JSON object per line for each event of kind k in
// [from, to), with the table's column names and RFC 3339 times (µs), for
// JSON-ingest benchmarks. Generated strings need no escaping: they are
// letters, digits, spaces and URL punctuation.
func (g *Generator) AppendJSON(dst []byte, k Kind, from, to int64) []byte {
	for e := firstOfKind(k, max(from, 0)); e < to; e = firstOfKind(k, e+1) {
		switch k {
		case Bid:
			ch := g.bidChannel(e)
			dst = appendInt(append(dst, `{"auction":`...), g.bidAuction(e))
			dst = appendInt(append(dst, `,"bidder":`...), g.bidBidder(e))
			dst = appendInt(append(dst, `,"price":`...), g.bidPrice(e))
			dst = appendStr(append(dst, `,"channel":`...), g.channels[ch])
			dst = appendStr(append(dst, `,"url":`...), g.urls[ch])
			dst = appendTime(append(dst, `,"date_time":`...), g.timeUs(e))
			dst = appendStr(append(dst, `,"extra":`...), g.bidExtra(e))
		case Person:
			p := g.person(e)
			dst = appendInt(append(dst, `{"id":`...), p.id)
			dst = appendStr(append(dst, `,"name":`...), p.name)
			dst = appendStr(append(dst, `,"email_address":`...), p.email)
			dst = appendStr(append(dst, `,"credit_card":`...), p.card)
			dst = appendStr(append(dst, `,"city":`...), p.city)
			dst = appendStr(append(dst, `,"state":`...), p.state)
			dst = appendTime(append(dst, `,"date_time":`...), p.timeUs)
			dst = appendStr(append(dst, `,"extra":`...), p.extra)
		case Auction:
			a := g.auction(e)
			dst = appendInt(append(dst, `{"id":`...), a.id)
			dst = appendStr(append(dst, `,"item_name":`...), a.name)
			dst = appendStr(append(dst, `,"description":`...), a.desc)
			dst = appendInt(append(dst, `,"initial_bid":`...), a.initialBid)
			dst = appendInt(append(dst, `,"reserve":`...), a.reserve)
			dst = appendTime(append(dst, `,"date_time":`...), a.timeUs)
			dst = appendTime(append(dst, `,"expires":`...), a.expiresUs)
			dst = appendInt(append(dst, `,"seller":`...), a.seller)
			dst = appendInt(append(dst, `,"category":`...), a.category)
			dst = appendStr(append(dst, `,"extra":`...), a.extra)
		}
		dst = append(dst, "}\n"...)
	}
	return dst
}

func appendInt(dst []byte, v int64) []byte {
	var b [20]byte
	i := len(b)
	neg := v < 0
	u := uint64(v)
	if neg {
		u = -u
	}
	for {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return append(dst, b[i:]...)
}

func appendStr(dst []byte, s string) []byte {
	dst = append(dst, '"')
	return append(append(dst, s...), '"')
}

func appendTime(dst []byte, us int64) []byte {
	dst = append(dst, '"')
	dst = time.UnixMicro(us).UTC().AppendFormat(dst, "2006-01-02T15:04:05.999999Z07:00")
	return append(dst, '"')
}
