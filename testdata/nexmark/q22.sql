-- name: q22
-- title: Get URL Directories
-- status: runs
-- flink:
-- INSERT INTO nexmark_q22
-- SELECT
--     auction, bidder, price, channel,
--     SPLIT_INDEX(url, '/', 3) as dir1,
--     SPLIT_INDEX(url, '/', 4) as dir2,
--     SPLIT_INDEX(url, '/', 5) as dir3 FROM bid;
-- streamsql:
SELECT auction, bidder, price, channel,
       split_index(url, '/', 3) AS dir1,
       split_index(url, '/', 4) AS dir2,
       split_index(url, '/', 5) AS dir3
FROM bid;
-- duckdb:
-- split_index is 0-based, DuckDB lists 1-based (NULL past the end).
SELECT auction, bidder, price, channel,
       string_split(url, '/')[4] AS dir1, string_split(url, '/')[5] AS dir2, string_split(url, '/')[6] AS dir3
FROM bid;
