COMMENT ON CONSTRAINT customers_name_check ON shop.customers IS 'Names are not empty';
