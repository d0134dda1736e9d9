-- name: q20
-- title: Expand bid with auction
-- status: runs
-- flink:
-- INSERT INTO nexmark_q20
-- SELECT
--     auction, bidder, price, channel, url, B.`dateTime`, B.extra,
--     itemName, description, initialBid, reserve, A.`dateTime`, expires, seller, category, A.extra
-- FROM
--     bid AS B INNER JOIN auction AS A on B.auction = A.id
-- WHERE A.category = 10;
-- streamsql:
-- An unbounded join (auctions are kept for as long as the job runs).
SELECT auction, bidder, price, channel, url, B.date_time AS bid_date_time, B.extra AS bid_extra,
       item_name, description, initial_bid, reserve, A.date_time AS auction_date_time, expires, seller, category,
       A.extra AS auction_extra
FROM bid AS B INNER JOIN auction AS A ON B.auction = A.id
WHERE A.category = 10;
-- duckdb:
SELECT auction, bidder, price, channel, url, B.date_time AS bid_date_time, B.extra AS bid_extra,
       item_name, description, initial_bid, reserve, A.date_time AS auction_date_time, expires, seller, category,
       A.extra AS auction_extra
FROM bid AS B INNER JOIN auction AS A ON B.auction = A.id
WHERE A.category = 10;
