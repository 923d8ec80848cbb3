DROP INDEX shop.customers_lower_name_idx;
CREATE INDEX customers_lower_name_idx ON shop.customers (lower(name));
