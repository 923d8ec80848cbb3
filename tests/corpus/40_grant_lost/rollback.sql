REVOKE ALL ON shop.products FROM app_writer, app_reader;
