ALTER TABLE accounts ALTER COLUMN balance TYPE bigint;
