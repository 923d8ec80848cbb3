ALTER TABLE shop.products DROP CONSTRAINT products_price_check;
