DROP VIEW shop.order_summary;
ALTER TABLE shop.customers ALTER COLUMN name TYPE varchar(100);
