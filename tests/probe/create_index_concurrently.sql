CREATE INDEX CONCURRENTLY orders_amount_idx ON orders (amount, account_id);
