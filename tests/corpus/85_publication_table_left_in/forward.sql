CREATE PUBLICATION shop_changes FOR TABLE shop.orders;
ALTER PUBLICATION shop_changes ADD TABLE shop.customers;
