CREATE STATISTICS shop.orders_customer_status (dependencies) ON customer_id, status FROM shop.orders;
