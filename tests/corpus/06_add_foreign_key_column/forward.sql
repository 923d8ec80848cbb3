ALTER TABLE shop.audit_log ADD COLUMN customer_id bigint;
ALTER TABLE shop.audit_log ADD CONSTRAINT audit_log_customer_fk FOREIGN KEY (customer_id) REFERENCES shop.customers (id) ON DELETE SET NULL;
