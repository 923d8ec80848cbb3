ALTER TABLE shop.customers DROP COLUMN phone;
