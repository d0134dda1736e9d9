package nexmark

import (
	"strconv"
	"strings"
)

// Generator makes Nexmark events from a Config. It is immutable after
// NewGenerator and safe for concurrent use.
type Generator struct {
	cfg     Config
	baseUs  int64
	delayUs float64
	// channels and urls: the 4 hot channels first, then channel-0…9999
	// (BidGenerator's HOT_CHANNELS/HOT_URLS and CHANNEL_URL_CACHE).
	channels []string
	urls     []string
	// pool is the padding source for `extra` (StringsGenerator's
	// REUSABLE_EXTRA_STRING, seeded here and 256 KiB instead of 1 MiB:
	// paddings are at most ~600 bytes).
	pool string
}

// Stream numbers of eventRng: one per independently drawn column.
const (
	streamRow uint64 = iota // person and auction rows draw from one stream
	streamAuction
	streamBidder
	streamPrice
	streamChannel
	streamExtra
	streamTables // the channel/URL tables and the extra pool
)

const poolBytes = 256 << 10

// NewGenerator checks cfg and builds its fixed string tables.
func NewGenerator(cfg Config) (*Generator, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	g := &Generator{cfg: cfg, baseUs: cfg.BaseTime.UnixMicro(), delayUs: 1e6 / cfg.Rate}
	r := eventRng(cfg.Seed, -1, streamTables)
	g.channels = append(g.channels, "Google", "Facebook", "Baidu", "Apple")
	for range 4 {
		g.urls = append(g.urls, baseURL(&r))
	}
	for i := range numChannels {
		u := baseURL(&r)
		if r.intn(10) > 0 {
			u += "&channel_id=" + strconv.FormatInt(reverse32(i), 10)
		}
		g.channels = append(g.channels, "channel-"+strconv.Itoa(i))
		g.urls = append(g.urls, u)
	}
	var sb strings.Builder
	sb.Grow(poolBytes)
	for sb.Len() < poolBytes {
		v := r.next()
		for range 13 { // 26^13 < 2^64
			sb.WriteByte('a' + byte(v%26))
			v /= 26
		}
	}
	g.pool = sb.String()[:poolBytes]
	return g, nil
}

// Config is the generator's configuration with defaults filled in.
func (g *Generator) Config() Config { return g.cfg }

func baseURL(r *rng) string {
	b := []byte("https://www.nexmark.com/")
	for range 3 {
		b = r.appendString(b, 5, '_')
		b = append(b, '/')
	}
	return string(append(b, "item.htm?query=1"...))
}

// extra is a padding of n bytes taken from the pool at a random offset.
func (g *Generator) extra(r *rng, n int) string {
	off := r.intn(int64(len(g.pool) - n))
	return g.pool[off : int(off)+n]
}

// Bid columns: each draws from its own stream (see eventRng).

func (g *Generator) bidAuction(e int64) int64 {
	r := eventRng(g.cfg.Seed, e, streamAuction)
	if r.intn(g.cfg.HotAuctionRatio) > 0 {
		return lastAuction(e)/hotIDRound*hotIDRound + firstAuctionID
	}
	return g.randomAuction(e, &r) + firstAuctionID
}

// bidBidder adds FIRST_PERSON_ID once: BidGenerator.java adds it twice,
// putting bidders 1000 ids above the people they should be.
func (g *Generator) bidBidder(e int64) int64 {
	r := eventRng(g.cfg.Seed, e, streamBidder)
	if r.intn(g.cfg.HotBiddersRatio) > 0 {
		return lastPerson(e)/hotIDRound*hotIDRound + 1 + firstPersonID
	}
	return g.randomPerson(e, &r) + firstPersonID
}

func (g *Generator) bidPrice(e int64) int64 {
	r := eventRng(g.cfg.Seed, e, streamPrice)
	return r.price()
}

// bidChannel is an index into g.channels and g.urls: half the bids use
// one of the 4 hot channels.
func (g *Generator) bidChannel(e int64) int {
	r := eventRng(g.cfg.Seed, e, streamChannel)
	if r.intn(2) > 0 {
		return int(r.intn(4))
	}
	return 4 + int(r.intn(numChannels))
}

// bidExtra pads a bid's 32 bytes of numbers to 100 on average.
func (g *Generator) bidExtra(e int64) string {
	r := eventRng(g.cfg.Seed, e, streamExtra)
	return g.extra(&r, r.extraLen(32, avgBidBytes))
}

// personRow is one person event.
type personRow struct {
	id                                    int64
	name, email, card, city, state, extra string
	timeUs                                int64
}

var (
	usStates   = []string{"AZ", "CA", "ID", "OR", "WA", "WY"}
	usCities   = []string{"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"}
	firstNames = []string{"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"}
	lastNames  = []string{"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"}
	// fullNames is every "first last" pair, so a name costs no allocation.
	fullNames = func() []string {
		var out []string
		for _, f := range firstNames {
			for _, l := range lastNames {
				out = append(out, f+" "+l)
			}
		}
		return out
	}()
)

func (g *Generator) person(e int64) personRow {
	r := eventRng(g.cfg.Seed, e, streamRow)
	p := personRow{id: lastPerson(e) + firstPersonID, timeUs: g.timeUs(e)}
	p.name = fullNames[r.intn(int64(len(fullNames)))]
	var b [64]byte
	em := r.appendString(b[:0], 7, ' ')
	em = append(em, '@')
	em = r.appendString(em, 5, ' ')
	p.email = string(append(em, ".com"...))
	card := b[:0]
	for i := range 4 {
		if i > 0 {
			card = append(card, ' ')
		}
		n := r.intn(10000)
		card = append(card, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
	}
	p.card = string(card)
	p.city = usCities[r.intn(int64(len(usCities)))]
	p.state = usStates[r.intn(int64(len(usStates)))]
	size := 8 + len(p.name) + len(p.email) + len(p.card) + len(p.city) + len(p.state)
	p.extra = g.extra(&r, r.extraLen(size, avgPersonBytes))
	return p
}

// auctionRow is one auction event.
type auctionRow struct {
	id, initialBid, reserve, seller, category int64
	timeUs, expiresUs                         int64
	name, desc, extra                         string
}

func (g *Generator) auction(e int64) auctionRow {
	r := eventRng(g.cfg.Seed, e, streamRow)
	a := auctionRow{id: lastAuction(e) + firstAuctionID, timeUs: g.timeUs(e)}
	if r.intn(g.cfg.HotSellersRatio) > 0 {
		a.seller = lastPerson(e) / hotIDRound * hotIDRound
	} else {
		a.seller = g.randomPerson(e, &r)
	}
	a.seller += firstPersonID
	a.category = firstCategoryID + r.intn(numCategories)
	a.initialBid = r.price()
	// Auctions last up to twice the time NumInFlightAuctions more
	// auctions take to appear, so about that many are open at once.
	ahead := g.cfg.NumInFlightAuctions * totalProportion / auctionProportion
	horizon := g.timeUs(e+ahead) - a.timeUs
	a.expiresUs = a.timeUs + 1 + r.intn(max(2*horizon, 1))
	var b [128]byte
	a.name = string(r.appendString(b[:0], 20, ' '))
	a.desc = string(r.appendString(b[:0], 100, ' '))
	a.reserve = a.initialBid + r.price()
	size := 8 + len(a.name) + len(a.desc) + 5*8
	a.extra = g.extra(&r, r.extraLen(size, avgAuctionBytes))
	return a
}
