COMMENT ON TABLE shop.products IS NULL;
