ALTER TABLE shop.order_items DROP CONSTRAINT order_items_product_fk;
ALTER TABLE shop.order_items ADD CONSTRAINT order_items_product_fk FOREIGN KEY (product_id) REFERENCES shop.products (id);
