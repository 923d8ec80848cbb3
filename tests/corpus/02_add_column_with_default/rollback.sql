ALTER TABLE shop.products DROP COLUMN active;
