ALTER TABLE shop.order_items ADD CONSTRAINT order_items_order_fk FOREIGN KEY (order_id) REFERENCES shop.orders (id) ON DELETE CASCADE NOT VALID;
