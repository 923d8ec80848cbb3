ALTER TABLE shop.products ALTER COLUMN sku TYPE varchar(40);
