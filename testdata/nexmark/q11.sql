-- name: q11
-- title: User Sessions
-- status: runs
-- flink:
-- INSERT INTO nexmark_q11
-- SELECT
--     B.bidder,
--     count(*) as bid_count,
--     SESSION_START(B.`dateTime`, INTERVAL '10' SECOND) as starttime,
--     SESSION_END(B.`dateTime`, INTERVAL '10' SECOND) as endtime
-- FROM bid B
-- GROUP BY B.bidder, SESSION(B.`dateTime`, INTERVAL '10' SECOND);
-- streamsql:
SELECT bidder, count(*) AS bid_count, window_start AS starttime, window_end AS endtime
FROM SESSION(bid, date_time, INTERVAL '10' SECOND)
GROUP BY bidder, window_start, window_end;
-- duckdb:
-- A bidder's session starts at a bid at least 10 s after their previous one
-- and ends 10 s after its last bid.
WITH marked AS (
  SELECT bidder, date_time,
         CASE WHEN date_time - lag(date_time) OVER (PARTITION BY bidder ORDER BY date_time) < INTERVAL 10 SECOND THEN 0 ELSE 1 END AS starts
  FROM bid),
numbered AS (SELECT *, sum(starts) OVER (PARTITION BY bidder ORDER BY date_time) AS session FROM marked)
SELECT bidder, count(*) AS bid_count, min(date_time) AS starttime, max(date_time) + INTERVAL 10 SECOND AS endtime
FROM numbered GROUP BY bidder, session;
