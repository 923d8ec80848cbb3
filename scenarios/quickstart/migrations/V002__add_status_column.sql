-- A constant default: since PostgreSQL 11 this needs no table rewrite.
ALTER TABLE users ADD COLUMN status VARCHAR(20) NOT NULL DEFAULT 'active';
