DROP MATERIALIZED VIEW shop.sales_by_country;
CREATE MATERIALIZED VIEW shop.sales_by_country AS SELECT c.country, count(*) AS orders FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id GROUP BY c.country WITH NO DATA;
