CREATE TABLE products (
    id          serial PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id),
    sku         varchar(32) NOT NULL,
    name        text NOT NULL,
    description text,
    price       numeric(10, 2) NOT NULL CHECK (price >= 0),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL,
    UNIQUE (account_id, sku)
);
