ALTER TABLE shop.orders DROP COLUMN total_cents;
