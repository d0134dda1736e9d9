-- name: q10
-- title: Log to File System
-- status: runs
-- flink:
-- CREATE TABLE nexmark_q10 (
--   auction  BIGINT,
--   bidder  BIGINT,
--   price  BIGINT,
--   `dateTime`  TIMESTAMP(3),
--   extra  VARCHAR,
--   dt STRING,
--   hm STRING
-- ) PARTITIONED BY (dt, hm) WITH (
--   'connector' = 'filesystem',
--   'path' = 'file://${NEXMARK_DIR}/data/output/${SUBMIT_TIME}/bid/',
--   'format' = 'csv',
--   'sink.partition-commit.trigger' = 'partition-time',
--   'sink.partition-commit.delay' = '1 min',
--   'sink.partition-commit.policy.kind' = 'success-file',
--   'partition.time-extractor.timestamp-pattern' = '$dt $hm:00',
--   'sink.rolling-policy.rollover-interval' = '1min',
--   'sink.rolling-policy.check-interval' = '1min'
-- );
--
-- INSERT INTO nexmark_q10
-- SELECT auction, bidder, price, `dateTime`, extra, DATE_FORMAT(`dateTime`, 'yyyy-MM-dd'), DATE_FORMAT(`dateTime`, 'HH:mm')
-- FROM bid;
-- streamsql:
-- The rows of Flink's q10; the partitioned filesystem sink (PARTITIONED BY
-- dt, hm with partition commits) is not modelled: rows go to the job's sink.
-- DATE_FORMAT(date_time, 'yyyy-MM-dd') and 'HH:mm' are spelled with CASTs.
SELECT auction, bidder, price, date_time, extra,
       CAST(CAST(date_time AS DATE) AS VARCHAR) AS dt,
       substr(CAST(date_time AS VARCHAR), 12, 5) AS hm
FROM bid;
-- duckdb:
SELECT auction, bidder, price, date_time, extra, strftime(date_time, '%Y-%m-%d') AS dt, strftime(date_time, '%H:%M') AS hm FROM bid;
