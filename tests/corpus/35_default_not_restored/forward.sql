ALTER TABLE shop.orders ALTER COLUMN status SET DEFAULT 'paid';
