COMMENT ON TABLE shop.products IS 'What we sell';
