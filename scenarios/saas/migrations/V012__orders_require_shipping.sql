-- Dangerous: SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock, and fails when
-- existing rows have no address.
UPDATE orders SET shipping_address = 'unknown' WHERE shipping_address IS NULL;
ALTER TABLE orders ALTER COLUMN shipping_address SET NOT NULL;
