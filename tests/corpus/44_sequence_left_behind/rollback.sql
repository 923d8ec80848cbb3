ALTER TABLE shop.audit_log DROP COLUMN ticket;
