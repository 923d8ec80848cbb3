ALTER TABLE orders DROP COLUMN shipping_note;
