ALTER TABLE shop.audit_events RENAME TO audit_log;
