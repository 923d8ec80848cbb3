-- Destructive: the column's data is gone; the rollback brings the column back, not its values.
ALTER TABLE users DROP COLUMN phone;
