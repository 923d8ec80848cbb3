CREATE STATISTICS shop.orders_customer_status (ndistinct) ON customer_id, status FROM shop.orders;
