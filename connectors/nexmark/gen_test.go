package nexmark

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
)

const testEvents = 50_000

func TestMixIsExactly1To3To46(t *testing.T) {
	mem := checkedMem(t)
	g := testGen(t, Config{Seed: 1})
	for k, want := range map[Kind]int64{Person: 1000, Auction: 3000, Bid: 46000} {
		b := batchFor(t, g, mem, k, 0, testEvents)
		if b.NumRows() != want {
			t.Errorf("%s: %d rows over %d events, want %d", k, b.NumRows(), testEvents, want)
		}
		b.Release()
		if n := countOfKind(k, testEvents); n != want {
			t.Errorf("countOfKind(%s) = %d, want %d", k, n, want)
		}
	}
	// A range not aligned to epochs: events 3..55 hold auction 3, bids 4..49,
	// person 50, auctions 51..53 and bids 54.
	for k, want := range map[Kind]int64{Person: 1, Auction: 4, Bid: 47} {
		b := batchFor(t, g, mem, k, 3, 55)
		if b.NumRows() != want {
			t.Errorf("%s in [3, 55): %d rows, want %d", k, b.NumRows(), want)
		}
		b.Release()
	}
}

func TestSameSeedSameBatchesOtherSeedOtherBatches(t *testing.T) {
	mem := checkedMem(t)
	g1, g2, g3 := testGen(t, Config{Seed: 7}), testGen(t, Config{Seed: 7}), testGen(t, Config{Seed: 8})
	for _, k := range []Kind{Person, Auction, Bid} {
		a, b, c := batchFor(t, g1, mem, k, 0, 5000), batchFor(t, g2, mem, k, 0, 5000), batchFor(t, g3, mem, k, 0, 5000)
		if !array.RecordEqual(a, b) {
			t.Errorf("%s: same seed, different batches", k)
		}
		if array.RecordEqual(a, c) {
			t.Errorf("%s: seeds 7 and 8 gave the same batches", k)
		}
		a.Release()
		b.Release()
		c.Release()
	}
}

func TestIDRangesAndCategories(t *testing.T) {
	mem := checkedMem(t)
	g := testGen(t, Config{Seed: 3})
	p := batchFor(t, g, mem, Person, 0, testEvents)
	defer p.Release()
	for i, id := range int64s(p, 0) {
		if id != firstPersonID+int64(i) {
			t.Fatalf("person %d has id %d, want %d", i, id, firstPersonID+int64(i))
		}
	}
	a := batchFor(t, g, mem, Auction, 0, testEvents)
	defer a.Release()
	for i, id := range int64s(a, 0) {
		if id != firstAuctionID+int64(i) {
			t.Fatalf("auction %d has id %d", i, id)
		}
	}
	for _, c := range int64s(a, 8) {
		if c < 10 || c > 14 {
			t.Fatalf("category %d outside 10..14", c)
		}
	}
	// Sellers and bidders are among the last 1000 people or up to 10 ids
	// ahead; bid auctions among the last 100 auctions or 10 ahead.
	ids := make([]int64, 0, 3000)
	ids, _ = appendIDs(ids, Auction, 0, testEvents, 3000)
	for i, s := range int64s(a, 7) {
		hi := lastPerson(ids[i]) + firstPersonID + idLead
		if s < firstPersonID || s > hi || s < hi-idLead-DefaultNumActivePeople {
			t.Fatalf("seller %d of auction at event %d outside the active people", s, ids[i])
		}
	}
	b := batchFor(t, g, mem, Bid, 0, testEvents)
	defer b.Release()
	bids, _ := appendIDs(nil, Bid, 0, testEvents, testEvents)
	auctions, bidders := int64s(b, 0), int64s(b, 1)
	for i, e := range bids {
		ahi := lastAuction(e) + firstAuctionID + idLead
		if auctions[i] < firstAuctionID || auctions[i] > ahi || auctions[i] < ahi-idLead-DefaultNumInFlightAuctions {
			t.Fatalf("bid at event %d on auction %d", e, auctions[i])
		}
		phi := lastPerson(e) + firstPersonID + idLead
		if bidders[i] < firstPersonID || bidders[i] > phi || bidders[i] < phi-idLead-DefaultNumActivePeople {
			t.Fatalf("bid at event %d by bidder %d (the Java double offset would put it above %d)", e, bidders[i], phi)
		}
	}
}

func TestHotKeyRatios(t *testing.T) {
	mem := checkedMem(t)
	g := testGen(t, Config{Seed: 5})
	b := batchFor(t, g, mem, Bid, 0, testEvents)
	defer b.Release()
	bids, _ := appendIDs(nil, Bid, 0, testEvents, testEvents)
	var hotAuction, hotBidder, hotChannel int
	auctions, bidders, channels := int64s(b, 0), int64s(b, 1), strs(b, 3)
	for i, e := range bids {
		if auctions[i] == lastAuction(e)/hotIDRound*hotIDRound+firstAuctionID {
			hotAuction++
		}
		if bidders[i] == lastPerson(e)/hotIDRound*hotIDRound+1+firstPersonID {
			hotBidder++
		}
		if !strings.HasPrefix(channels[i], "channel-") {
			hotChannel++
		}
	}
	n := float64(len(bids))
	// A random pick lands on the hot id now and then (1 in ~110 auctions,
	// 1 in ~1010 people), hence the upper slack.
	within(t, "hot auction share", float64(hotAuction)/n, 0.5, 0.51)
	within(t, "hot bidder share", float64(hotBidder)/n, 0.75, 0.76)
	within(t, "hot channel share", float64(hotChannel)/n, 0.5, 0.5)

	a := batchFor(t, g, mem, Auction, 0, testEvents)
	defer a.Release()
	ids, _ := appendIDs(nil, Auction, 0, testEvents, testEvents)
	hotSeller := 0
	for i, s := range int64s(a, 7) {
		if s == lastPerson(ids[i])/hotIDRound*hotIDRound+firstPersonID {
			hotSeller++
		}
	}
	within(t, "hot seller share", float64(hotSeller)/float64(len(ids)), 0.75, 0.76)
}

// within checks got is in [lo-0.02, hi+0.02].
func within(t *testing.T, what string, got, lo, hi float64) {
	t.Helper()
	if got < lo-0.02 || got > hi+0.02 {
		t.Errorf("%s = %.3f, want %.2f..%.2f ± 0.02", what, got, lo, hi)
	}
}

func TestPricesAreLogUniformAndReserveAboveInitialBid(t *testing.T) {
	mem := checkedMem(t)
	g := testGen(t, Config{Seed: 9})
	b := batchFor(t, g, mem, Bid, 0, testEvents)
	defer b.Release()
	decades := make([]int, 6)
	for _, p := range int64s(b, 2) {
		if p < 100 || p > 100_000_000 {
			t.Fatalf("price %d outside [100, 1e8]", p)
		}
		decades[min(int(math.Log10(float64(p)/100)), 5)]++
	}
	for d, n := range decades { // each decade holds a sixth of the prices
		within(t, "share of prices in decade "+string(rune('0'+d)), float64(n)/46000, 1.0/6, 1.0/6)
	}
	a := batchFor(t, g, mem, Auction, 0, testEvents)
	defer a.Release()
	initial, reserve := int64s(a, 3), int64s(a, 4)
	for i := range initial {
		if reserve[i] < initial[i]+100 {
			t.Fatalf("reserve %d below initial bid %d + 100", reserve[i], initial[i])
		}
	}
}

func TestEventTimeFollowsEventNumberAndExpiresWithinHorizon(t *testing.T) {
	mem := checkedMem(t)
	g := testGen(t, Config{Seed: 2, Rate: 1000})
	base := DefaultBaseTime.UnixMicro()
	for _, k := range []Kind{Person, Auction, Bid} {
		b := batchFor(t, g, mem, k, 0, 5000)
		ids, _ := appendIDs(nil, k, 0, 5000, 5000)
		col := Schema(k).FieldIndices("date_time")[0]
		for i, ts := range int64s(b, col) {
			if want := base + ids[i]*1000; ts != want {
				t.Fatalf("%s at event %d has time %d, want %d", k, ids[i], ts, want)
			}
		}
		if k == Auction {
			// 100 more auctions take 1666 events = 1.666 s at 1000/s.
			for i, ex := range int64s(b, 6) {
				at := base + ids[i]*1000
				if ex <= at || ex > at+2*1_666_000 {
					t.Fatalf("auction at %d expires at %d", at, ex)
				}
			}
		}
		b.Release()
	}
}

// TestExtraPadsRowsToTargetSizes counts sizes the way the Java generator
// does: 8 bytes per number or time, string lengths.
func TestExtraPadsRowsToTargetSizes(t *testing.T) {
	mem := checkedMem(t)
	g := testGen(t, Config{Seed: 4})
	for k, target := range map[Kind]float64{Person: 200, Auction: 500, Bid: 100} {
		b := batchFor(t, g, mem, k, 0, testEvents)
		total := 0
		for c, f := range Schema(k).Fields() {
			if f.Type == str {
				if k == Bid && (f.Name == "channel" || f.Name == "url") {
					continue // Java leaves these out of a bid's size
				}
				for _, s := range strs(b, c) {
					total += len(s)
				}
			} else if !(k == Auction && f.Name == "date_time") && !(k == Person && f.Name == "date_time") {
				total += 8 * int(b.NumRows())
			}
		}
		mean := float64(total) / float64(b.NumRows())
		within(t, k.String()+" mean size / target", mean/target, 1, 1)
		b.Release()
	}
}

func TestProjectionGivesTheSameValues(t *testing.T) {
	mem := checkedMem(t)
	g := testGen(t, Config{Seed: 11})
	for _, k := range []Kind{Person, Auction, Bid} {
		full := batchFor(t, g, mem, k, 0, 2000)
		n := int(full.NumCols())
		cols := []int{n - 1, 0, n / 2}
		p, err := g.Batch(mem, k, cols, 0, 2000)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range cols {
			if !array.Equal(p.Column(i), full.Column(c)) {
				t.Errorf("%s: projected column %d differs", k, c)
			}
		}
		p.Release()
		full.Release()
	}
	if _, err := g.Batch(mem, Bid, []int{7}, 0, 10); err == nil {
		t.Error("column 7 of bid: no error")
	}
	if _, err := g.Batch(mem, Bid, nil, 10, 5); err == nil {
		t.Error("range [10, 5): no error")
	}
}

func TestJSONMatchesArrow(t *testing.T) {
	mem := checkedMem(t)
	g := testGen(t, Config{Seed: 6})
	for _, k := range []Kind{Person, Auction, Bid} {
		b := batchFor(t, g, mem, k, 0, 1000)
		lines := strings.Split(strings.TrimSuffix(string(g.AppendJSON(nil, k, 0, 1000)), "\n"), "\n")
		if len(lines) != int(b.NumRows()) {
			t.Fatalf("%s: %d JSON lines, %d rows", k, len(lines), b.NumRows())
		}
		for i, line := range lines {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("%s line %d: %v: %s", k, i, err, line)
			}
			for c, f := range Schema(k).Fields() {
				want := b.Column(c).ValueStr(i)
				var got string
				switch v := m[f.Name].(type) {
				case float64:
					got = formatInt(int64(v))
				case string:
					got = v
				}
				if f.Type == ts {
					tm, err := time.Parse(time.RFC3339Nano, got)
					if err != nil {
						t.Fatalf("%s line %d %s: %v", k, i, f.Name, err)
					}
					got, want = formatInt(tm.UnixMicro()), formatInt(int64s(b, c)[i])
				}
				if got != want {
					t.Fatalf("%s line %d %s: JSON %q, Arrow %q", k, i, f.Name, got, want)
				}
			}
		}
		b.Release()
	}
}

func formatInt(v int64) string { return string(appendInt(nil, v)) }

func TestAppendIntAndReverse(t *testing.T) {
	for _, v := range []int64{0, 7, -12, math.MaxInt64, math.MinInt64 + 1} {
		if got, want := formatInt(v), strconv.FormatInt(v, 10); got != want {
			t.Errorf("appendInt(%d) = %s", v, got)
		}
	}
	if reverse32(1) != 2147483648 || reverse32(2) != 1<<30 || reverse32(0) != 0 {
		t.Errorf("reverse32: %d %d", reverse32(1), reverse32(2))
	}
}

func TestURLsAndCards(t *testing.T) {
	mem := checkedMem(t)
	g := testGen(t, Config{Seed: 12})
	b := batchFor(t, g, mem, Bid, 0, 5000)
	defer b.Release()
	for _, u := range strs(b, 4) {
		if !strings.HasPrefix(u, "https://www.nexmark.com/") || !strings.Contains(u, "/item.htm?query=1") {
			t.Fatalf("url %q", u)
		}
	}
	p := batchFor(t, g, mem, Person, 0, 5000)
	defer p.Release()
	for i, c := range strs(p, 3) {
		if len(c) != 19 || strings.Count(c, " ") != 3 {
			t.Fatalf("credit card %q", c)
		}
		if e := strs(p, 2)[i]; !strings.HasSuffix(e, ".com") || !strings.Contains(e, "@") {
			t.Fatalf("email %q", e)
		}
		if s := strs(p, 5)[i]; !slices.Contains(usStates, s) {
			t.Fatalf("state %q", s)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{{Events: -1}, {Rate: -1}, {WallRate: -2}, {HotAuctionRatio: -1}} {
		if _, err := NewGenerator(c); err == nil {
			t.Errorf("NewGenerator(%+v): no error", c)
		}
	}
	if _, err := ParseKind("bids"); err == nil {
		t.Error("ParseKind(bids): no error")
	}
	if k, err := ParseKind("BID"); err != nil || k != Bid || Kind(7).String() != "kind(7)" {
		t.Errorf("ParseKind(BID) = %v, %v", k, err)
	}
}

func TestIDArithmetic(t *testing.T) {
	for _, c := range []struct{ e, person, auction int64 }{
		{0, 0, -1}, {1, 0, 0}, {3, 0, 2}, {4, 0, 2}, {49, 0, 2}, {50, 1, 2}, {51, 1, 3}, {104, 2, 8},
	} {
		if p, a := lastPerson(c.e), lastAuction(c.e); p != c.person || a != c.auction {
			t.Errorf("event %d: last person %d, last auction %d; want %d, %d", c.e, p, a, c.person, c.auction)
		}
	}
	for _, c := range []struct {
		k         Kind
		e, first  int64
		countUpTo int64
	}{{Person, 1, 50, 1}, {Auction, 0, 1, 0}, {Auction, 4, 51, 3}, {Bid, 2, 4, 0}, {Bid, 50, 54, 46}, {Bid, 53, 54, 46}} {
		if f, n := firstOfKind(c.k, c.e), countOfKind(c.k, c.e); f != c.first || n != c.countUpTo {
			t.Errorf("%s from %d: first %d, count before %d; want %d, %d", c.k, c.e, f, n, c.first, c.countUpTo)
		}
	}
	r := eventRng(1, 1, 0)
	if n := r.extraLen(300, 200); n != 0 {
		t.Errorf("extra for an oversized row = %d", n)
	}
	if n := r.extraLen(198, 200); n != 2 { // ±20% of 2 rounds to 0
		t.Errorf("extra for 2 missing bytes = %d", n)
	}
}
