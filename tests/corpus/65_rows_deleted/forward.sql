DELETE FROM shop.audit_log WHERE id > 40;
