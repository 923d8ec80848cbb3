DROP INDEX shop.orders_status_placed_idx;
