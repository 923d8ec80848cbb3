ALTER TABLE shop.products ALTER COLUMN title TYPE text COLLATE "default";
