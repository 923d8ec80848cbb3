ALTER TABLE shop.orders ADD COLUMN total_cents bigint;
UPDATE shop.orders SET total_cents = (total * 100)::bigint;
