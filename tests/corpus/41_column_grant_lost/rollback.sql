GRANT SELECT (id) ON shop.customers TO app_writer;
