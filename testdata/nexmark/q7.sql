-- name: q7
-- title: Highest Bid
-- status: runs
-- flink:
-- INSERT INTO nexmark_q7
-- SELECT B.auction, B.price, B.bidder, B.`dateTime`, B.extra
-- from bid B
-- JOIN (
--   SELECT MAX(price) AS maxprice, window_end as `dateTime`
--   FROM TABLE(
--           TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))
--   GROUP BY window_start, window_end
-- ) B1
-- ON B.price = B1.maxprice
-- WHERE B.`dateTime` BETWEEN B1.`dateTime`  - INTERVAL '10' SECOND AND B1.`dateTime`;
-- streamsql:
-- An interval join of each bid with the maximum of its 10 s window
-- (the window's rows carry window_end as their time).
SELECT B.auction, B.price, B.bidder, B.date_time, B.extra
FROM bid B
JOIN (
  SELECT MAX(price) AS maxprice, window_end AS date_time
  FROM TUMBLE(bid, date_time, INTERVAL '10' SECOND)
  GROUP BY window_start, window_end
) B1
ON B.price = B1.maxprice
WHERE B.date_time BETWEEN B1.date_time - INTERVAL '10' SECOND AND B1.date_time;
-- duckdb:
WITH m AS (
  SELECT max(price) AS maxprice, make_timestamp((epoch_us(date_time) // 10000000 + 1) * 10000000) AS we
  FROM bid GROUP BY we)
SELECT B.auction, B.price, B.bidder, B.date_time, B.extra
FROM bid B JOIN m ON B.price = m.maxprice AND B.date_time BETWEEN m.we - INTERVAL 10 SECOND AND m.we;
