-- One million rows, a primary key and a secondary index: the table the migration rewrites.
CREATE TABLE events (id bigint PRIMARY KEY, account integer NOT NULL, kind text NOT NULL, at timestamptz NOT NULL);
INSERT INTO events
SELECT g, g % 50000, 'kind ' || (g % 17), timestamptz '2024-01-01' + g * interval '1 second'
FROM generate_series(1, 1000000) g;
CREATE INDEX events_account_idx ON events (account);
