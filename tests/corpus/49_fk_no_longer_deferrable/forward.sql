ALTER TABLE shop.order_items DROP CONSTRAINT order_items_order_fk;
