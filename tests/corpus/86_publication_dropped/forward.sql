CREATE PUBLICATION shop_changes FOR TABLE shop.orders, shop.order_items;
