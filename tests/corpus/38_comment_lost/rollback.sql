COMMENT ON TABLE shop.customers IS NULL;
