ALTER TABLE shop.products DROP CONSTRAINT products_title_key;
