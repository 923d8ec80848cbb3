REVOKE SELECT (name) ON shop.customers FROM app_writer;
