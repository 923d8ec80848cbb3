COMMENT ON TABLE shop.customers IS 'Buyers';
