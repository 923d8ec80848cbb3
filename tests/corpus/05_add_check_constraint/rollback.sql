ALTER TABLE shop.products DROP CONSTRAINT products_stock_check;
