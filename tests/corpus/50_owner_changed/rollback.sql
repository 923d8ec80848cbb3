ALTER TABLE shop.products OWNER TO app_reader;
