-- name: q23
-- title: Expand bid with person and auction
-- status: runs
-- flink:
-- INSERT INTO nexmark_q23
-- SELECT bidder,
--        price,
--        channel,
--        url,
--        B.extra    AS bid_extra,
--
--        P.id       AS person_id,
--        name,
--        emailAddress,
--        creditCard,
--        city,
--        state,
--        P.extra    AS person_extra,
--        itemName,
--
--        description,
--        initialBid,
--        reserve,
--        A.dateTime AS auction_dateTime,
--        expires,
--        seller,
--        category,
--        A.extra    AS auction_extra
-- FROM bid B
--          JOIN
--      person P ON P.id = B.bidder
--          JOIN
--      auction A ON A.seller = B.bidder;
--
-- -- ############################
-- streamsql:
-- Two unbounded joins.
SELECT bidder, price, channel, url, B.extra AS bid_extra,
       P.id AS person_id, name, email_address, credit_card, city, state, P.extra AS person_extra,
       item_name, description, initial_bid, reserve, A.date_time AS auction_date_time, expires, seller, category,
       A.extra AS auction_extra
FROM bid B
JOIN person P ON P.id = B.bidder
JOIN auction A ON A.seller = B.bidder;
-- duckdb:
SELECT bidder, price, channel, url, B.extra AS bid_extra,
       P.id AS person_id, name, email_address, credit_card, city, state, P.extra AS person_extra,
       item_name, description, initial_bid, reserve, A.date_time AS auction_date_time, expires, seller, category,
       A.extra AS auction_extra
FROM bid B
JOIN person P ON P.id = B.bidder
JOIN auction A ON A.seller = B.bidder;
