-- name: q19
-- title: Auction TOP-10 Price
-- status: runs
-- flink:
-- INSERT INTO nexmark_q19
-- SELECT * FROM
-- (SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number FROM bid)
-- WHERE rank_number <= 10;
-- streamsql:
-- A changelog top-10 per auction. date_time breaks price ties (Flink's
-- text orders by price only) so that the result is deterministic.
SELECT * FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC, date_time) AS rank_number FROM bid
) WHERE rank_number <= 10;
-- duckdb:
SELECT * FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC, date_time) AS rank_number FROM bid
) WHERE rank_number <= 10;
