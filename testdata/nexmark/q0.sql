-- name: q0
-- title: Pass through
-- status: runs
-- flink:
-- INSERT INTO nexmark_q0
-- SELECT auction, bidder, price, `dateTime`, extra FROM bid;
-- streamsql:
SELECT auction, bidder, price, date_time, extra FROM bid;
-- duckdb:
SELECT auction, bidder, price, date_time, extra FROM bid;
