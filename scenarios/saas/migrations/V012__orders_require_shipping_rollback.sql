ALTER TABLE orders ALTER COLUMN shipping_address DROP NOT NULL;
