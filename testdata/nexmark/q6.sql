-- name: q6
-- title: Average Selling Price by Seller
-- status: unsupported OVER windows with a ROWS frame (AVG(…) OVER (PARTITION BY seller ORDER BY date_time ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)) are not implemented; only ROW_NUMBER() OVER (…) for dedup and top-N is
-- flink:
-- -- TODO: this query is not supported yet in Flink SQL, because the OVER WINDOW operator doesn't
-- --  support to consume retractions.
-- INSERT INTO nexmark_q6
-- SELECT
--     Q.seller,
--     AVG(Q.price) OVER
--         (PARTITION BY Q.seller ORDER BY Q.`dateTime` ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)
-- FROM (
--     SELECT *, ROW_NUMBER() OVER (PARTITION BY A.id, A.seller ORDER BY B.price DESC) AS rownum
--     FROM (SELECT A.id, A.seller, B.price, B.`dateTime`
--         FROM auction AS A,
--             bid AS B
--         WHERE A.id = B.auction
--             and B.`dateTime` between A.`dateTime` and A.expires)
--     WHERE rownum <= 1
-- ) AS Q;
-- streamsql:
SELECT Q.seller,
       AVG(Q.price) OVER (PARTITION BY Q.seller ORDER BY Q.date_time ROWS BETWEEN 10 PRECEDING AND CURRENT ROW) AS avg_price
FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY id, seller ORDER BY price DESC) AS rownum
    FROM (SELECT A.id, A.seller, B.price, B.date_time
          FROM auction AS A JOIN bid AS B
            ON A.id = B.auction AND B.date_time BETWEEN A.date_time AND A.expires)
) AS Q
WHERE rownum <= 1;
