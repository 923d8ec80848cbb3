GRANT UPDATE ON shop.products TO app_writer;
