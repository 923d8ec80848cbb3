COMMENT ON COLUMN shop.customers.email IS NULL;
