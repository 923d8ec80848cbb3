-- Safe: a constant default is stored in the catalog since PostgreSQL 11, no table rewrite.
ALTER TABLE users ADD COLUMN locale varchar(10) NOT NULL DEFAULT 'en';
