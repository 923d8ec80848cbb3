DROP MATERIALIZED VIEW shop.sales_by_country;
CREATE MATERIALIZED VIEW shop.sales_by_country AS SELECT c.country, count(*) AS orders, sum(o.total) AS revenue FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id GROUP BY 1 WITH NO DATA;
