CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer integer NOT NULL,
    amount numeric(10, 2) NOT NULL,
    paid boolean NOT NULL DEFAULT false
);
INSERT INTO orders (id, customer, amount)
SELECT g, g % 1000, (g % 500) + 0.99 FROM generate_series(1, 100000) g;
