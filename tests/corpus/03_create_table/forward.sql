CREATE TABLE shop.coupons (
    code text PRIMARY KEY,
    percent integer NOT NULL CHECK (percent BETWEEN 1 AND 100),
    customer_id bigint REFERENCES shop.customers (id)
);
CREATE INDEX coupons_customer_idx ON shop.coupons (customer_id);
INSERT INTO shop.coupons VALUES ('WELCOME', 10, NULL);
