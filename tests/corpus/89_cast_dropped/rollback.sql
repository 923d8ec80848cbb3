DROP CAST (shop.customers AS text);
DROP FUNCTION shop.customer_label(shop.customers);
