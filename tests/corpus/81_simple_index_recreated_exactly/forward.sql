DROP INDEX shop.customers_country_idx;
