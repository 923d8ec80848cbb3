CREATE TABLE invoices (id bigint PRIMARY KEY, total integer);
INSERT INTO invoices SELECT g, g FROM generate_series(1, 1000) g;
CREATE INDEX invoices_total_idx ON invoices (total);
