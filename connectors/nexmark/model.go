package nexmark

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// Kind is one of the three Nexmark tables.
type Kind int

// The tables, in event-id order within an epoch of 50 events.
const (
	Person Kind = iota
	Auction
	Bid
)

// String is the table's name.
func (k Kind) String() string {
	switch k {
	case Person:
		return "person"
	case Auction:
		return "auction"
	case Bid:
		return "bid"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// ParseKind reads a table name (person, auction, bid).
func ParseKind(s string) (Kind, error) {
	for _, k := range []Kind{Person, Auction, Bid} {
		if strings.EqualFold(s, k.String()) {
			return k, nil
		}
	}
	return 0, fmt.Errorf("parsing nexmark table %q: want person, auction or bid", s)
}

// Proportions of the event mix: ids e with e%50 in [kindLo, kindHi) are of
// the kind.
const (
	personProportion  = 1
	auctionProportion = 3
	bidProportion     = 46
	totalProportion   = personProportion + auctionProportion + bidProportion

	firstPersonID   = 1000
	firstAuctionID  = 1000
	firstCategoryID = 10
	numCategories   = 5
	idLead          = 10  // PERSON_ID_LEAD and AUCTION_ID_LEAD
	hotIDRound      = 100 // HOT_*_RATIO in the model classes: hot ids are multiples of it
	numChannels     = 10_000

	avgPersonBytes  = 200
	avgAuctionBytes = 500
	avgBidBytes     = 100
)

var (
	kindLo = [3]int64{0, personProportion, personProportion + auctionProportion}
	kindHi = [3]int64{personProportion, personProportion + auctionProportion, totalProportion}
)

// Defaults of Config (NexmarkConfiguration's).
const (
	DefaultRate                = 10_000
	DefaultNumActivePeople     = 1000
	DefaultNumInFlightAuctions = 100
	DefaultHotAuctionRatio     = 2
	DefaultHotSellersRatio     = 4
	DefaultHotBiddersRatio     = 4
)

// DefaultBaseTime is the event time of event 0 when Config.BaseTime is zero.
var DefaultBaseTime = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// unbounded is the event count of a generator with Events == 0: far
// beyond any run, small enough that block arithmetic cannot overflow.
const unbounded = int64(1) << 60

// Config configures a generator. Zero fields take the defaults.
type Config struct {
	// Events is events.num: the number of events over all three tables
	// (ids 0..Events-1); 0 generates without end (streams only).
	Events int64
	// Rate is the event-time rate in events/s: event e has time
	// BaseTime + e × 1e6/Rate µs.
	Rate     float64
	Seed     uint64
	BaseTime time.Time
	// WallRate throttles streams to this many events/s of wall time over
	// all splits (0: as fast as possible); throttled reads return
	// catalog.ErrIdle. Now is its clock (nil: time.Now).
	WallRate float64
	Now      func() time.Time
	// Alloc allocates PreGenerate's batches (nil: the Go allocator).
	Alloc memory.Allocator

	NumActivePeople     int64
	NumInFlightAuctions int64
	HotAuctionRatio     int64 // 1 in this many bids is on a random auction
	HotSellersRatio     int64
	HotBiddersRatio     int64
}

func (c Config) withDefaults() (Config, error) {
	if c.Events < 0 {
		return c, fmt.Errorf("configuring nexmark: events %d is negative", c.Events)
	}
	if c.Rate < 0 || c.WallRate < 0 {
		return c, fmt.Errorf("configuring nexmark: rates must not be negative (rate %g, wall rate %g)", c.Rate, c.WallRate)
	}
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if c.BaseTime.IsZero() {
		c.BaseTime = DefaultBaseTime
	}
	for _, f := range []struct {
		p   *int64
		def int64
	}{
		{&c.NumActivePeople, DefaultNumActivePeople}, {&c.NumInFlightAuctions, DefaultNumInFlightAuctions},
		{&c.HotAuctionRatio, DefaultHotAuctionRatio}, {&c.HotSellersRatio, DefaultHotSellersRatio},
		{&c.HotBiddersRatio, DefaultHotBiddersRatio},
	} {
		if *f.p < 0 {
			return c, fmt.Errorf("configuring nexmark: negative count or ratio %d", *f.p)
		}
		if *f.p == 0 {
			*f.p = f.def
		}
	}
	if c.Alloc == nil {
		c.Alloc = memory.NewGoAllocator()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// end is one past the last event id.
func (c Config) end() int64 {
	if c.Events == 0 {
		return unbounded
	}
	return c.Events
}

// Schema is the fixed schema of a table (RisingWave's snake_case names).
func Schema(k Kind) *arrow.Schema {
	switch k {
	case Person:
		return personSchema
	case Auction:
		return auctionSchema
	}
	return bidSchema
}

var (
	i64 = arrow.PrimitiveTypes.Int64
	str = arrow.BinaryTypes.String
	ts  = types.TimestampType.ArrowType()

	personSchema = schema("id", i64, "name", str, "email_address", str, "credit_card", str,
		"city", str, "state", str, "date_time", ts, "extra", str)
	auctionSchema = schema("id", i64, "item_name", str, "description", str, "initial_bid", i64,
		"reserve", i64, "date_time", ts, "expires", ts, "seller", i64, "category", i64, "extra", str)
	bidSchema = schema("auction", i64, "bidder", i64, "price", i64, "channel", str, "url", str,
		"date_time", ts, "extra", str)
)

func schema(nameTypes ...any) *arrow.Schema {
	fs := make([]arrow.Field, 0, len(nameTypes)/2)
	for i := 0; i < len(nameTypes); i += 2 {
		fs = append(fs, arrow.Field{Name: nameTypes[i].(string), Type: nameTypes[i+1].(arrow.DataType), Nullable: true})
	}
	return arrow.NewSchema(fs, nil)
}

// Id arithmetic (AuctionGenerator / PersonGenerator): base-0 ids, without
// the FIRST_*_ID offsets.

// lastPerson is the newest person id at event e (e's own if e is a person).
func lastPerson(e int64) int64 {
	epoch, off := e/totalProportion, e%totalProportion
	if off >= personProportion {
		off = personProportion - 1
	}
	return epoch*personProportion + off
}

// lastAuction is the newest auction id at event e (e's own if an auction).
func lastAuction(e int64) int64 {
	epoch, off := e/totalProportion, e%totalProportion
	switch {
	case off < personProportion:
		epoch--
		off = auctionProportion - 1
	case off >= personProportion+auctionProportion:
		off = auctionProportion - 1
	default:
		off -= personProportion
	}
	return epoch*auctionProportion + off
}

// randomPerson is one of the last NumActivePeople people, or up to idLead
// not created yet.
func (g *Generator) randomPerson(e int64, r *rng) int64 {
	n := lastPerson(e) + 1
	active := min(n, g.cfg.NumActivePeople)
	return n - active + r.intn(active+idLead)
}

// randomAuction is one of the last NumInFlightAuctions auctions, or up to
// idLead not created yet.
func (g *Generator) randomAuction(e int64, r *rng) int64 {
	hi := lastAuction(e)
	lo := max(hi-g.cfg.NumInFlightAuctions, 0)
	return lo + r.intn(hi-lo+1+idLead)
}

// timeUs is the event time of event e in µs since the epoch.
func (g *Generator) timeUs(e int64) int64 {
	return g.baseUs + int64(float64(e)*g.delayUs)
}

// firstOfKind is the smallest event id >= e of kind k.
func firstOfKind(k Kind, e int64) int64 {
	off := e % totalProportion
	switch {
	case off < kindLo[k]:
		return e - off + kindLo[k]
	case off >= kindHi[k]:
		return e - off + totalProportion + kindLo[k]
	}
	return e
}

// countOfKind is the number of events of kind k among ids [0, e).
func countOfKind(k Kind, e int64) int64 {
	epochs, off := e/totalProportion, e%totalProportion
	n := epochs * (kindHi[k] - kindLo[k])
	return n + max(0, min(off, kindHi[k])-kindLo[k])
}

// reverse32 is Java's Math.abs(Integer.reverse(i)), but never negative.
func reverse32(i int) int64 {
	v := int64(int32(bits.Reverse32(uint32(i))))
	if v < 0 {
		v = -v
	}
	return v
}
