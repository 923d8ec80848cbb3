-- Dangerous: SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock, and fails when
-- existing rows have no address. The lock is taken first: a backfill that row-locks part of the
-- table and only then asks for the table deadlocks with the application's writes to those rows
-- (a rehearsal at scale 0.2 and above met that deadlock in about half its runs).
LOCK TABLE orders IN ACCESS EXCLUSIVE MODE;
UPDATE orders SET shipping_address = 'unknown' WHERE shipping_address IS NULL;
ALTER TABLE orders ALTER COLUMN shipping_address SET NOT NULL;
