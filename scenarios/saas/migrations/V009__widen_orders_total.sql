-- Dangerous: changing numeric scale rewrites orders under an ACCESS EXCLUSIVE lock.
ALTER TABLE orders ALTER COLUMN total TYPE numeric(14, 4);
