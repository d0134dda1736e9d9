-- name: q8
-- title: Monitor New Users
-- status: runs
-- flink:
-- INSERT INTO nexmark_q8
-- SELECT P.id, P.name, P.starttime
-- FROM (
--   SELECT id, name,
--         window_start AS starttime,
--         window_end AS endtime
--   FROM TABLE(
--             TUMBLE(TABLE person, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))
--   GROUP BY id, name, window_start, window_end
-- ) P
-- JOIN (
--   SELECT seller,
--         window_start AS starttime,
--         window_end AS endtime
--   FROM TABLE(
--         TUMBLE(TABLE auction, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))
--   GROUP BY seller, window_start, window_end
-- ) A
-- ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime;
-- streamsql:
SELECT P.id, P.name, P.starttime
FROM (
  SELECT id, name, window_start AS starttime, window_end AS endtime
  FROM TUMBLE(person, date_time, INTERVAL '10' SECOND)
  GROUP BY id, name, window_start, window_end
) P
JOIN (
  SELECT seller, window_start AS starttime, window_end AS endtime
  FROM TUMBLE(auction, date_time, INTERVAL '10' SECOND)
  GROUP BY seller, window_start, window_end
) A
ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime;
-- duckdb:
SELECT P.id, P.name, P.starttime
FROM (SELECT id, name, make_timestamp(epoch_us(date_time) // 10000000 * 10000000) AS starttime FROM person GROUP BY ALL) P
JOIN (SELECT seller, make_timestamp(epoch_us(date_time) // 10000000 * 10000000) AS starttime FROM auction GROUP BY ALL) A
ON P.id = A.seller AND P.starttime = A.starttime;
