-- name: q17
-- title: Auction Statistics Report
-- status: runs
-- flink:
-- INSERT INTO nexmark_q17
-- SELECT
--      auction,
--      DATE_FORMAT(`dateTime`, 'yyyy-MM-dd') as `day`,
--      count(*) AS total_bids,
--      count(*) filter (where price < 10000) AS rank1_bids,
--      count(*) filter (where price >= 10000 and price < 1000000) AS rank2_bids,
--      count(*) filter (where price >= 1000000) AS rank3_bids,
--      min(price) AS min_price,
--      max(price) AS max_price,
--      avg(price) AS avg_price,
--      sum(price) AS sum_price
-- FROM bid
-- GROUP BY auction, DATE_FORMAT(`dateTime`, 'yyyy-MM-dd');
-- streamsql:
-- An unwindowed GROUP BY: an updating result (changelog), as in Flink.
-- avg_price is a DOUBLE (Flink: BIGINT).
SELECT auction,
  CAST(CAST(date_time AS DATE) AS VARCHAR) AS day,
  count(*) AS total_bids,
  count(*) FILTER (WHERE price < 10000) AS rank1_bids,
  count(*) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_bids,
  count(*) FILTER (WHERE price >= 1000000) AS rank3_bids,
  min(price) AS min_price,
  max(price) AS max_price,
  avg(price) AS avg_price,
  sum(price) AS sum_price
FROM bid
GROUP BY auction, CAST(CAST(date_time AS DATE) AS VARCHAR);
-- duckdb:
SELECT auction, strftime(date_time, '%Y-%m-%d') AS day,
  count(*) AS total_bids,
  count(*) FILTER (WHERE price < 10000) AS rank1_bids,
  count(*) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_bids,
  count(*) FILTER (WHERE price >= 1000000) AS rank3_bids,
  min(price) AS min_price, max(price) AS max_price, avg(price) AS avg_price, sum(price) AS sum_price
FROM bid GROUP BY 1, 2;
