DROP POLICY orders_paid ON shop.orders;
