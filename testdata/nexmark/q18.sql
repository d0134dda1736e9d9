-- name: q18
-- title: Find last bid
-- status: runs
-- flink:
-- INSERT INTO nexmark_q18
-- SELECT auction, bidder, price, channel, url, `dateTime`, extra
--  FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY `dateTime` DESC) AS rank_number
--        FROM bid)
--  WHERE rank_number <= 1;
-- streamsql:
-- The latest bid per (bidder, auction): a changelog (each newer bid
-- retracts the previous one).
SELECT auction, bidder, price, channel, url, date_time, extra
FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY date_time DESC) AS rank_number
      FROM bid)
WHERE rank_number <= 1;
-- duckdb:
SELECT auction, bidder, price, channel, url, date_time, extra
FROM bid QUALIFY ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY date_time DESC) = 1;
