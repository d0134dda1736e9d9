-- name: q21
-- title: Add channel id
-- status: runs
-- flink:
-- INSERT INTO nexmark_q21
-- SELECT
--     auction, bidder, price, channel,
--     CASE
--         WHEN lower(channel) = 'apple' THEN '0'
--         WHEN lower(channel) = 'google' THEN '1'
--         WHEN lower(channel) = 'facebook' THEN '2'
--         WHEN lower(channel) = 'baidu' THEN '3'
--         ELSE REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2)
--         END
--     AS channel_id FROM bid
--     where REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2) is not null or
--           lower(channel) in ('apple', 'google', 'facebook', 'baidu');
-- streamsql:
-- REGEXP_EXTRACT(url, p, 2) is regexp_replace of the whole URL by the
-- group, where regexp_like(url, p) holds (NULL otherwise, as in Flink).
SELECT auction, bidder, price, channel,
  CASE
    WHEN lower(channel) = 'apple' THEN '0'
    WHEN lower(channel) = 'google' THEN '1'
    WHEN lower(channel) = 'facebook' THEN '2'
    WHEN lower(channel) = 'baidu' THEN '3'
    WHEN regexp_like(url, '(&|^)channel_id=([^&]*)') THEN regexp_replace(url, '^.*(&|^)channel_id=([^&]*).*$', '\2')
  END AS channel_id
FROM bid
WHERE regexp_like(url, '(&|^)channel_id=([^&]*)') OR lower(channel) IN ('apple', 'google', 'facebook', 'baidu');
-- duckdb:
SELECT auction, bidder, price, channel,
  CASE
    WHEN lower(channel) = 'apple' THEN '0'
    WHEN lower(channel) = 'google' THEN '1'
    WHEN lower(channel) = 'facebook' THEN '2'
    WHEN lower(channel) = 'baidu' THEN '3'
    WHEN regexp_matches(url, '(&|^)channel_id=([^&]*)') THEN regexp_extract(url, '(&|^)channel_id=([^&]*)', 2)
  END AS channel_id
FROM bid
WHERE regexp_matches(url, '(&|^)channel_id=([^&]*)') OR lower(channel) IN ('apple', 'google', 'facebook', 'baidu');
