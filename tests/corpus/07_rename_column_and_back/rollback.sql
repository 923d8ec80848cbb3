ALTER TABLE shop.customers RENAME COLUMN remarks TO notes;
