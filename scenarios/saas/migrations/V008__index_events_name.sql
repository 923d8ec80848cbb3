-- Safe: built concurrently, writes to events continue.
CREATE INDEX CONCURRENTLY events_name_idx ON events (name);
