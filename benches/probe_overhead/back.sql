ALTER TABLE events ALTER COLUMN account TYPE integer;
