CREATE INDEX customers_country_idx ON shop.customers (country);
