-- name: q3
-- title: Local Item Suggestion
-- status: runs
-- flink:
-- INSERT INTO nexmark_q3
-- SELECT
--     P.name, P.city, P.state, A.id
-- FROM
--     auction AS A INNER JOIN person AS P on A.seller = P.id
-- WHERE
--     A.category = 10 and (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA');
-- streamsql:
-- An unbounded join: both sides are kept (person and auction ids are
-- never retired); the output is append-only.
SELECT P.name, P.city, P.state, A.id
FROM auction AS A INNER JOIN person AS P ON A.seller = P.id
WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA');
-- duckdb:
SELECT P.name, P.city, P.state, A.id
FROM auction AS A INNER JOIN person AS P ON A.seller = P.id
WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA');
