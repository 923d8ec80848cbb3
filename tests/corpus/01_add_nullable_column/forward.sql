ALTER TABLE shop.customers ADD COLUMN phone text;
