ALTER TABLE shop.audit_log RENAME TO audit_events;
