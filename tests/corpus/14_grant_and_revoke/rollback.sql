REVOKE INSERT, DELETE ON shop.products FROM app_writer;
