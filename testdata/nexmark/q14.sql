-- name: q14
-- title: Calculation
-- status: runs
-- flink:
-- CREATE FUNCTION count_char AS 'com.github.nexmark.flink.udf.CountChar';
--
-- INSERT INTO nexmark_q14
-- SELECT
--     auction,
--     bidder,
--     0.908 * price as price,
--     CASE
--         WHEN HOUR(`dateTime`) >= 8 AND HOUR(`dateTime`) <= 18 THEN 'dayTime'
--         WHEN HOUR(`dateTime`) <= 6 OR HOUR(`dateTime`) >= 20 THEN 'nightTime'
--         ELSE 'otherTime'
--     END AS bidTimeType,
--     `dateTime`,
--     extra,
--     count_char(extra, 'c') AS c_counts
-- FROM bid
-- WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000;
-- streamsql:
-- HOUR() is extract(hour …); the count_char UDF counts 'c' in extra
-- with replace(); 0.908 * price is a DOUBLE (Flink: DECIMAL(23, 3)).
SELECT auction, bidder, 0.908 * price AS price,
  CASE
    WHEN extract(hour FROM date_time) >= 8 AND extract(hour FROM date_time) <= 18 THEN 'dayTime'
    WHEN extract(hour FROM date_time) <= 6 OR extract(hour FROM date_time) >= 20 THEN 'nightTime'
    ELSE 'otherTime'
  END AS bid_time_type,
  date_time, extra,
  length(extra) - length(replace(extra, 'c', '')) AS c_counts
FROM bid
WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000;
-- duckdb:
SELECT auction, bidder, 0.908::DOUBLE * price AS price,
  CASE
    WHEN hour(date_time) >= 8 AND hour(date_time) <= 18 THEN 'dayTime'
    WHEN hour(date_time) <= 6 OR hour(date_time) >= 20 THEN 'nightTime'
    ELSE 'otherTime'
  END AS bid_time_type,
  date_time, extra,
  length(extra) - length(replace(extra, 'c', '')) AS c_counts
FROM bid
WHERE 0.908::DOUBLE * price > 1000000 AND 0.908::DOUBLE * price < 50000000;
