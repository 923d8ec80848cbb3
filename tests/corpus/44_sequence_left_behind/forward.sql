CREATE SEQUENCE shop.ticket_seq;
ALTER TABLE shop.audit_log ADD COLUMN ticket integer DEFAULT nextval('shop.ticket_seq');
