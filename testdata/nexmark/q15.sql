-- name: q15
-- title: Bidding Statistics Report
-- status: runs
-- flink:
-- INSERT INTO nexmark_q15
-- SELECT
--      DATE_FORMAT(`dateTime`, 'yyyy-MM-dd') as `day`,
--      count(*) AS total_bids,
--      count(*) filter (where price < 10000) AS rank1_bids,
--      count(*) filter (where price >= 10000 and price < 1000000) AS rank2_bids,
--      count(*) filter (where price >= 1000000) AS rank3_bids,
--      count(distinct bidder) AS total_bidders,
--      count(distinct bidder) filter (where price < 10000) AS rank1_bidders,
--      count(distinct bidder) filter (where price >= 10000 and price < 1000000) AS rank2_bidders,
--      count(distinct bidder) filter (where price >= 1000000) AS rank3_bidders,
--      count(distinct auction) AS total_auctions,
--      count(distinct auction) filter (where price < 10000) AS rank1_auctions,
--      count(distinct auction) filter (where price >= 10000 and price < 1000000) AS rank2_auctions,
--      count(distinct auction) filter (where price >= 1000000) AS rank3_auctions
-- FROM bid
-- GROUP BY DATE_FORMAT(`dateTime`, 'yyyy-MM-dd');
-- streamsql:
-- An unwindowed GROUP BY: an updating result (changelog), as in Flink.
-- DATE_FORMAT(date_time, 'yyyy-MM-dd') is spelled with CASTs.
SELECT CAST(CAST(date_time AS DATE) AS VARCHAR) AS day,
  count(*) AS total_bids,
  count(*) FILTER (WHERE price < 10000) AS rank1_bids,
  count(*) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_bids,
  count(*) FILTER (WHERE price >= 1000000) AS rank3_bids,
  count(DISTINCT bidder) AS total_bidders,
  count(DISTINCT bidder) FILTER (WHERE price < 10000) AS rank1_bidders,
  count(DISTINCT bidder) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_bidders,
  count(DISTINCT bidder) FILTER (WHERE price >= 1000000) AS rank3_bidders,
  count(DISTINCT auction) AS total_auctions,
  count(DISTINCT auction) FILTER (WHERE price < 10000) AS rank1_auctions,
  count(DISTINCT auction) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_auctions,
  count(DISTINCT auction) FILTER (WHERE price >= 1000000) AS rank3_auctions
FROM bid
GROUP BY CAST(CAST(date_time AS DATE) AS VARCHAR);
-- duckdb:
SELECT strftime(date_time, '%Y-%m-%d') AS day,
  count(*) AS total_bids,
  count(*) FILTER (WHERE price < 10000) AS rank1_bids,
  count(*) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_bids,
  count(*) FILTER (WHERE price >= 1000000) AS rank3_bids,
  count(DISTINCT bidder) AS total_bidders,
  count(DISTINCT bidder) FILTER (WHERE price < 10000) AS rank1_bidders,
  count(DISTINCT bidder) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_bidders,
  count(DISTINCT bidder) FILTER (WHERE price >= 1000000) AS rank3_bidders,
  count(DISTINCT auction) AS total_auctions,
  count(DISTINCT auction) FILTER (WHERE price < 10000) AS rank1_auctions,
  count(DISTINCT auction) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_auctions,
  count(DISTINCT auction) FILTER (WHERE price >= 1000000) AS rank3_auctions
FROM bid GROUP BY 1;
