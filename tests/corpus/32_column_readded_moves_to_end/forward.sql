ALTER TABLE shop.products DROP COLUMN stock;
