-- name: q2
-- title: Selection
-- status: runs
-- flink:
-- INSERT INTO nexmark_q2
-- SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0;
-- streamsql:
SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0;
-- duckdb:
SELECT auction, price FROM bid WHERE auction % 123 = 0;
