-- name: q1
-- title: Currency conversion
-- status: runs
-- flink:
-- INSERT INTO nexmark_q1
-- SELECT
--     auction,
--     bidder,
--     0.908 * price as price, -- convert dollar to euro
--     `dateTime`,
--     extra
-- FROM bid;
-- streamsql:
-- 0.908 * price is a DOUBLE here (Flink: DECIMAL(23, 3)).
SELECT auction, bidder, 0.908 * price AS price, date_time, extra FROM bid;
-- duckdb:
SELECT auction, bidder, 0.908::DOUBLE * price AS price, date_time, extra FROM bid;
