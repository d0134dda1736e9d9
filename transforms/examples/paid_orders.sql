-- Match each order with its payment within two minutes (an interval join:
-- state is freed as the watermark passes, so it stays bounded).
-- @event-time timestamp
-- @watermark-delay 5s
SELECT
  o.order_id,
  o.user_id,
  o.timestamp AS ordered_at,
  p.timestamp AS paid_at,
  p.amount
FROM __input__ o
JOIN __input__ p
  ON o.order_id = p.order_id
 AND p.timestamp BETWEEN o.timestamp AND o.timestamp + INTERVAL '2' MINUTE
WHERE o.type = 'order' AND p.type = 'payment'
