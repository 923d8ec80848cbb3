ALTER TABLE shop.orders ALTER COLUMN shipped_to SET NOT NULL;
