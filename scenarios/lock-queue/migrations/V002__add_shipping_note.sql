ALTER TABLE orders ADD COLUMN shipping_note text;
