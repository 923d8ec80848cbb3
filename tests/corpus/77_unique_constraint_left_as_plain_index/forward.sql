ALTER TABLE shop.products DROP CONSTRAINT products_sku_key;
CREATE UNIQUE INDEX products_sku_key ON shop.products (sku);
