-- A constant default is a catalog change: constant time, whatever the rows.
ALTER TABLE posts ADD COLUMN pinned boolean NOT NULL DEFAULT false;
