REVOKE ALL ON shop.orders FROM app_reader;
