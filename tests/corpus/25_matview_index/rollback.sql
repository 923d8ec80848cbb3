DROP INDEX shop.sales_by_country_country_idx;
