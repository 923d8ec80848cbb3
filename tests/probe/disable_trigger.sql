ALTER TABLE orders DISABLE TRIGGER orders_touch;
