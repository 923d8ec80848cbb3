DROP VIEW shop.order_summary;
ALTER TABLE shop.orders ALTER COLUMN status DROP DEFAULT;
ALTER TYPE shop.order_status RENAME TO order_status_old;
CREATE TYPE shop.order_status AS ENUM ('cancelled', 'paid', 'pending', 'shipped');
COMMENT ON TYPE shop.order_status IS 'Where an order is in its life';
ALTER TABLE shop.orders ALTER COLUMN status TYPE shop.order_status USING status::text::shop.order_status;
ALTER TABLE shop.orders ALTER COLUMN status SET DEFAULT 'pending';
DROP TYPE shop.order_status_old;
CREATE VIEW shop.order_summary AS
    SELECT o.id, c.name AS customer, o.status, o.total
    FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id;
COMMENT ON VIEW shop.order_summary IS 'One line per order';
GRANT SELECT ON shop.order_summary TO app_reader;
