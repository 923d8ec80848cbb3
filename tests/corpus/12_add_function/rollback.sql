DROP FUNCTION shop.customer_orders(bigint);
