ALTER POLICY orders_own ON shop.orders USING (customer_id = current_setting('app.customer_id')::bigint);
