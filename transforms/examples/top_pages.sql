-- The three most viewed pages of every minute.
-- @event-time timestamp
-- @watermark-delay 5s
SELECT window_start, window_end, page, views, rn AS rank
FROM (
  SELECT window_start, window_end, page, views,
         ROW_NUMBER() OVER (PARTITION BY window_start ORDER BY views DESC, page) AS rn
  FROM (
    SELECT window_start, window_end, page, COUNT(*) AS views
    FROM TUMBLE(__input__, timestamp, INTERVAL '1' MINUTE)
    WHERE type = 'view'
    GROUP BY window_start, window_end, page
  )
)
WHERE rn <= 3
