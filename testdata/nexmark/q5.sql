-- name: q5
-- title: Hot Items
-- status: runs
-- flink:
-- INSERT INTO nexmark_q5
-- SELECT AuctionBids.auction, AuctionBids.num
--  FROM (
--    SELECT
--      auction,
--      count(*) AS num,
--      window_start AS starttime,
--      window_end AS endtime
--      FROM TABLE(
--              HOP(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
--      GROUP BY auction, window_start, window_end
--  ) AS AuctionBids
--  JOIN (
--    SELECT
--      max(CountBids.num) AS maxn,
--      CountBids.starttime,
--      CountBids.endtime
--    FROM (
--      SELECT
--        count(*) AS num,
--        window_start AS starttime,
--        window_end AS endtime
--      FROM TABLE(
--                 HOP(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
--      GROUP BY auction, window_start, window_end
--      ) AS CountBids
--    GROUP BY CountBids.starttime, CountBids.endtime
--  ) AS MaxBids
--  ON AuctionBids.starttime = MaxBids.starttime AND
--     AuctionBids.endtime = MaxBids.endtime AND
--     AuctionBids.num >= MaxBids.maxn;
-- streamsql:
SELECT AuctionBids.auction, AuctionBids.num
FROM (
  SELECT auction, count(*) AS num, window_start AS starttime, window_end AS endtime
  FROM HOP(bid, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND)
  GROUP BY auction, window_start, window_end
) AS AuctionBids
JOIN (
  SELECT max(CountBids.num) AS maxn, CountBids.starttime, CountBids.endtime
  FROM (
    SELECT count(*) AS num, window_start AS starttime, window_end AS endtime
    FROM HOP(bid, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND)
    GROUP BY auction, window_start, window_end
  ) AS CountBids
  GROUP BY CountBids.starttime, CountBids.endtime
) AS MaxBids
ON AuctionBids.starttime = MaxBids.starttime AND
   AuctionBids.endtime = MaxBids.endtime AND
   AuctionBids.num >= MaxBids.maxn;
-- duckdb:
-- Each bid is in the five 10 s windows starting at its 2 s slot and the four before.
WITH hb AS (
  SELECT auction, make_timestamp((epoch_us(date_time) // 2000000 - h) * 2000000) AS starttime, count(*) AS num
  FROM bid, range(5) AS r(h) GROUP BY ALL),
mx AS (SELECT starttime, max(num) AS maxn FROM hb GROUP BY starttime)
SELECT hb.auction, hb.num FROM hb JOIN mx ON hb.starttime = mx.starttime AND hb.num >= mx.maxn;
