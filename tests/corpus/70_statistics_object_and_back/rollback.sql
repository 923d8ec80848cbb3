DROP STATISTICS shop.orders_customer_status;
