CREATE UNIQUE INDEX sales_by_country_country_idx ON shop.sales_by_country (country);
