CREATE POLICY orders_paid ON shop.orders FOR SELECT TO app_writer USING (status = 'paid');
