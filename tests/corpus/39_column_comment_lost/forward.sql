COMMENT ON COLUMN shop.customers.email IS 'Receipts and newsletters';
