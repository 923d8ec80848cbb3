ALTER TABLE shop.products ALTER COLUMN title TYPE varchar(8) USING left(title, 8);
