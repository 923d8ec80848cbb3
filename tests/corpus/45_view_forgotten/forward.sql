DROP VIEW shop.order_summary;
ALTER TABLE shop.customers ALTER COLUMN name TYPE varchar(150);
CREATE VIEW shop.order_summary AS
    SELECT o.id, c.name AS customer, o.status, o.total
    FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id;
