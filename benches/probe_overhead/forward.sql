-- integer -> bigint: a full table rewrite under ACCESS EXCLUSIVE, indexes rebuilt.
ALTER TABLE events ALTER COLUMN account TYPE bigint;
