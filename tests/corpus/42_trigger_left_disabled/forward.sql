ALTER TABLE shop.orders DISABLE TRIGGER orders_touch;
ALTER TABLE shop.orders ADD COLUMN note text;
