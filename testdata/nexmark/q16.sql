-- name: q16
-- title: Channel Statistics Report
-- status: runs
-- flink:
-- INSERT INTO nexmark_q16
-- SELECT
--     channel,
--     DATE_FORMAT(`dateTime`, 'yyyy-MM-dd') as `day`,
--     max(DATE_FORMAT(`dateTime`, 'HH:mm')) as `minute`,
--     count(*) AS total_bids,
--     count(*) filter (where price < 10000) AS rank1_bids,
--     count(*) filter (where price >= 10000 and price < 1000000) AS rank2_bids,
--     count(*) filter (where price >= 1000000) AS rank3_bids,
--     count(distinct bidder) AS total_bidders,
--     count(distinct bidder) filter (where price < 10000) AS rank1_bidders,
--     count(distinct bidder) filter (where price >= 10000 and price < 1000000) AS rank2_bidders,
--     count(distinct bidder) filter (where price >= 1000000) AS rank3_bidders,
--     count(distinct auction) AS total_auctions,
--     count(distinct auction) filter (where price < 10000) AS rank1_auctions,
--     count(distinct auction) filter (where price >= 10000 and price < 1000000) AS rank2_auctions,
--     count(distinct auction) filter (where price >= 1000000) AS rank3_auctions
-- FROM bid
-- GROUP BY channel, DATE_FORMAT(`dateTime`, 'yyyy-MM-dd');
-- streamsql:
-- An unwindowed GROUP BY: an updating result (changelog), as in Flink.
-- DATE_FORMAT(date_time, 'yyyy-MM-dd') and 'HH:mm' are spelled with CASTs.
SELECT channel,
  CAST(CAST(date_time AS DATE) AS VARCHAR) AS day,
  max(substr(CAST(date_time AS VARCHAR), 12, 5)) AS minute,
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
GROUP BY channel, CAST(CAST(date_time AS DATE) AS VARCHAR);
-- duckdb:
SELECT channel, strftime(date_time, '%Y-%m-%d') AS day, max(strftime(date_time, '%H:%M')) AS minute,
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
FROM bid GROUP BY 1, 2;
