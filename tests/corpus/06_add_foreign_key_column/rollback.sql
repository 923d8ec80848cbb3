ALTER TABLE shop.audit_log DROP COLUMN customer_id;
