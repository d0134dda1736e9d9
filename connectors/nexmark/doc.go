// Package nexmark generates the Nexmark benchmark's events (people,
// auctions and bids) as Arrow batches and serves them as streaming tables:
// CREATE TABLE bid WITH (connector='nexmark', table='bid', …).
//
// The generation rules are ported from the Apache-2.0 Flink generator,
// github.com/nexmark/nexmark, nexmark-flink/src/main/java/com/github/
// nexmark/flink/generator (GeneratorConfig, NexmarkGenerator and
// model/*Generator.java; Copyright the Nexmark authors, Apache License 2.0,
// http://www.apache.org/licenses/LICENSE-2.0). The rules are re-expressed
// in Go, not translated line by line:
//
//   - event id e (0-based) decides the kind: e%50 == 0 person, 1..3
//     auction, 4..49 bid (1:3:46); person and auction ids count from 1000,
//     categories are 10..14;
//   - event time is BaseTime + e × 1e6/Rate µs (deterministic, in order);
//   - sellers and bidders are drawn from the last 1000 people, auctions
//     from the last 100, with a lead of 10 ids not yet created; hot
//     auction/seller/bidder ratios 2/4/4 with hot ids rounded to 100;
//   - prices are log-uniform round(10^(6u)×100); reserve = initial bid +
//     another price; expires = date_time + 1 µs + U[0, 2 × the time 100
//     more auctions take);
//   - names, emails, credit cards, cities, states, item names,
//     descriptions, channels and URLs as in the Java code, and `extra`
//     padding so rows average 200/500/100 bytes (person/auction/bid).
//
// Deliberate deviations, each marked in the code:
//   - randomness comes from SplitMix64 seeded from (Config.Seed, event id)
//     — and, for bids, the column — instead of one unseeded
//     SplittableRandom stream, so any event is generated on its own: each
//     table and each split makes only its own rows, a projection makes
//     only its columns, and rows are identical for any split count;
//   - the URL and channel tables and the `extra` pool are seeded too;
//   - the bidder id gets FIRST_PERSON_ID (1000) added once, not twice as in
//     BidGenerator.java, so bidders join with people (q23);
//   - kept: random strings may hold inner spaces (emails too), events come
//     in order (out-of-order and delay options are unused in Java too);
//   - times are µs (the Java generator works in ms); channel 1's
//     channel_id is 2147483648 (Java's Math.abs(Integer.MIN_VALUE) is
//     negative).
//
// The tables are streams (catalog.Streamable); give the event time with
// WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND, as the
// Nexmark queries expect. The binder takes a WATERMARK only after declared
// columns, so declare them too (they must be the table's, in order):
//
//	CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT,
//	  channel VARCHAR, url VARCHAR, date_time TIMESTAMP, extra VARCHAR,
//	  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
//	WITH (connector='nexmark', table='bid', 'events.num'='1000000',
//	  rate='10000', seed='1', splits='2')
//
// Without a WATERMARK the table is a stream with no event time. The
// package is wasm-clean (it imports no os and no net).
package nexmark
