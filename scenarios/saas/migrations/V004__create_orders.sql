CREATE TYPE order_status AS ENUM ('cart', 'placed', 'paid', 'shipped', 'delivered', 'refunded', 'cancelled');

CREATE TABLE orders (
    id               bigserial PRIMARY KEY,
    account_id       bigint NOT NULL REFERENCES accounts (id),
    user_id          bigint NOT NULL REFERENCES users (id),
    status           order_status NOT NULL,
    currency         char(3) NOT NULL,
    total            numeric(12, 2) NOT NULL,
    shipping_address text,
    placed_at        timestamptz NOT NULL,
    updated_at       timestamptz
);
CREATE INDEX orders_user_id_idx ON orders (user_id);
CREATE INDEX orders_account_placed_idx ON orders (account_id, placed_at);
