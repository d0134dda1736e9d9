-- name: q12
-- title: Processing Time Windows
-- status: unsupported processing-time windows: there is no PROCTIME() column; TUMBLE, HOP and SESSION window the event time only
-- flink:
-- CREATE VIEW B AS SELECT *, PROCTIME() as p_time FROM bid;
--
-- INSERT INTO nexmark_q12
-- SELECT
--     bidder,
--     count(*) as bid_count,
--     window_start AS starttime,
--     window_end AS endtime
-- FROM TABLE(
--         TUMBLE(TABLE B, DESCRIPTOR(p_time), INTERVAL '10' SECOND))
-- GROUP BY bidder, window_start, window_end;
-- streamsql:
SELECT bidder, count(*) AS bid_count, window_start AS starttime, window_end AS endtime
FROM TUMBLE((SELECT *, PROCTIME() AS p_time FROM bid), p_time, INTERVAL '10' SECOND)
GROUP BY bidder, window_start, window_end;
