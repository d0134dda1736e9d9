-- name: q4
-- title: Average Price for a Category
-- status: runs
-- flink:
-- INSERT INTO nexmark_q4
-- SELECT
--     Q.category,
--     AVG(Q.final)
-- FROM (
--     SELECT MAX(B.price) AS final, A.category
--     FROM auction A, bid B
--     WHERE A.id = B.auction AND B.`dateTime` BETWEEN A.`dateTime` AND A.expires
--     GROUP BY A.id, A.category
-- ) Q
-- GROUP BY Q.category;
-- streamsql:
-- The inner GROUP BY is an updating result (a changelog); the outer
-- average consumes its retractions.
SELECT Q.category, AVG(Q.final) AS avg_final
FROM (
    SELECT MAX(B.price) AS final, A.category
    FROM auction A JOIN bid B
      ON A.id = B.auction AND B.date_time BETWEEN A.date_time AND A.expires
    GROUP BY A.id, A.category
) Q
GROUP BY Q.category;
-- duckdb:
SELECT Q.category, AVG(Q.final) AS avg_final
FROM (
    SELECT MAX(B.price) AS final, A.category
    FROM auction A JOIN bid B
      ON A.id = B.auction AND B.date_time BETWEEN A.date_time AND A.expires
    GROUP BY A.id, A.category
) Q
GROUP BY Q.category;
