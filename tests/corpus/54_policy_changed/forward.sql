ALTER POLICY orders_own ON shop.orders USING (true);
