-- Safe pattern: add the constraint NOT VALID (brief lock), then validate without blocking writes.
ALTER TABLE order_items ADD CONSTRAINT order_items_unit_price_check CHECK (unit_price >= 0) NOT VALID;
ALTER TABLE order_items VALIDATE CONSTRAINT order_items_unit_price_check;
