GRANT INSERT, DELETE ON shop.products TO app_writer;
