-- Written the common way: a plain CREATE INDEX holds SHARE on orders while it builds.
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
